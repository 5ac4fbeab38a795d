#include "terminal.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "error.hpp"
#include "file_io.hpp"

namespace cntr {

RawTerminal::RawTerminal(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_) != 0) return;
    termios raw = saved_;
    ::cfmakeraw(&raw);
    if (::tcsetattr(fd_, TCSADRAIN, &raw) == 0) active_ = true;
}

RawTerminal::~RawTerminal() {
    if (active_) ::tcsetattr(fd_, TCSADRAIN, &saved_);
}

std::optional<termios> terminal_attributes(int fd) {
    termios t{};
    if (::tcgetattr(fd, &t) != 0) return std::nullopt;
    return t;
}

std::optional<winsize> terminal_size(int fd) {
    winsize ws{};
    if (::ioctl(fd, TIOCGWINSZ, &ws) != 0) return std::nullopt;
    return ws;
}

std::pair<Fd, Fd> open_pty_pair(const std::string& ptmx_path) {
    Fd master = open_fd(ptmx_path, O_RDWR | O_NOCTTY);
    check(::unlockpt(master.get()), "unlockpt " + ptmx_path);
    // TIOCGPTPEER opens the slave through the master, never by a path name
    // that something in the container could have replaced.
    Fd slave(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!slave) throw_errno("ioctl TIOCGPTPEER");
    return {std::move(master), std::move(slave)};
}

}  // namespace cntr
