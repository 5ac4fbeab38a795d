#include "stdio_relay.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

#include "error.hpp"

namespace cntr {
namespace {

constexpr size_t kMaxBuffered = size_t{64} * 1024;

std::pair<Fd, Fd> make_pipe() {
    std::array<int, 2> p{};
    check(::pipe2(p.data(), O_CLOEXEC), "pipe2 for the session's stdio");
    return {Fd(p[0]), Fd(p[1])};
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Writes all of `data` to cntr's own (blocking) stdout or stderr. False when
// the reader went away.
bool write_out(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t w = ::write(fd, data.data(), data.size());
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) {
            pollfd p{.fd = fd, .events = POLLOUT, .revents = 0};
            (void)::poll(&p, 1, -1);
            continue;
        }
        if (w <= 0) return false;
        data.remove_prefix(static_cast<size_t>(w));
    }
    return true;
}

}  // namespace

StdioRelay::StdioRelay() {
    auto [in_r, in_w] = make_pipe();
    auto [out_r, out_w] = make_pipe();
    auto [err_r, err_w] = make_pipe();
    stdin_w_ = std::move(in_w);
    stdout_r_ = std::move(out_r);
    stderr_r_ = std::move(err_r);
    command_ = {std::move(in_r), std::move(out_w), std::move(err_w)};
    for (int fd : {stdin_w_.get(), stdout_r_.get(), stderr_r_.get()}) set_nonblocking(fd);
}

std::array<int, 3> StdioRelay::command_ends() const {
    return {command_[0].get(), command_[1].get(), command_[2].get()};
}

void StdioRelay::close_command_ends() {
    for (auto& fd : command_) fd.reset();
}

std::array<pollfd, 4> StdioRelay::poll_entries() const {
    const bool want_stdin = !stdin_eof_ && to_command_.size() < kMaxBuffered && stdin_w_;
    return {{{want_stdin ? STDIN_FILENO : -1, POLLIN, 0},
             {!to_command_.empty() && stdin_w_ ? stdin_w_.get() : -1, POLLOUT, 0},
             {stdout_r_ ? stdout_r_.get() : -1, POLLIN, 0},
             {stderr_r_ ? stderr_r_.get() : -1, POLLIN, 0}}};
}

void StdioRelay::read_stdin() {
    std::array<char, 16384> buf{};
    ssize_t n = ::read(STDIN_FILENO, buf.data(), buf.size());
    if (n > 0) {
        to_command_.append(buf.data(), static_cast<size_t>(n));
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        stdin_eof_ = true;
        if (to_command_.empty()) stdin_w_.reset();  // EOF for the command
    }
}

void StdioRelay::write_stdin() {
    ssize_t n = ::write(stdin_w_.get(), to_command_.data(), to_command_.size());
    if (n > 0) to_command_.erase(0, static_cast<size_t>(n));
    if (n < 0 && errno == EPIPE) {  // the command closed its stdin
        to_command_.clear();
        stdin_eof_ = true;
    }
    if (stdin_eof_ && to_command_.empty()) stdin_w_.reset();
}

// Returns false at EOF (or when `to` went away: then the command's next
// write gets EPIPE, as if it wrote to cntr's stdout itself).
bool StdioRelay::copy_out(Fd& from, int to) {
    if (!from) return false;
    std::array<char, 65536> buf{};
    for (;;) {
        ssize_t n = ::read(from.get(), buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return true;
        if (n <= 0 || !write_out(to, {buf.data(), static_cast<size_t>(n)})) {
            from.reset();
            return false;
        }
        if (static_cast<size_t>(n) < buf.size()) return true;
    }
}

void StdioRelay::handle(const std::array<pollfd, 4>& polled) {
    if ((polled[0].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) != 0) read_stdin();
    if ((polled[1].revents & (POLLOUT | POLLERR)) != 0) write_stdin();
    if (polled[2].revents != 0) copy_out(stdout_r_, STDOUT_FILENO);
    if (polled[3].revents != 0) copy_out(stderr_r_, STDERR_FILENO);
}

void StdioRelay::drain() {
    while (copy_out(stdout_r_, STDOUT_FILENO)) {
        pollfd p{.fd = stdout_r_.get(), .events = POLLIN, .revents = 0};
        if (::poll(&p, 1, 0) <= 0) break;
    }
    while (copy_out(stderr_r_, STDERR_FILENO)) {
        pollfd p{.fd = stderr_r_.get(), .events = POLLIN, .revents = 0};
        if (::poll(&p, 1, 0) <= 0) break;
    }
}

}  // namespace cntr
