// The user's terminal while a session runs on a PTY: raw mode for the
// duration (restored by RAII on every exit path), window size, and the loop
// that copies bytes between the terminal and the PTY master.
#pragma once

#include <sys/ioctl.h>
#include <termios.h>

#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "fd.hpp"

namespace cntr {

class RawTerminal {
  public:
    explicit RawTerminal(int fd);
    RawTerminal(const RawTerminal&) = delete;
    RawTerminal& operator=(const RawTerminal&) = delete;
    ~RawTerminal();

  private:
    int fd_;
    termios saved_{};
    bool active_ = false;
};

std::optional<termios> terminal_attributes(int fd);
std::optional<winsize> terminal_size(int fd);

// Opens a PTY master on the devpts instance behind `ptmx_path` (so the slave
// has a name inside the container) and returns {master, slave}.
std::pair<Fd, Fd> open_pty_pair(const std::string& ptmx_path);

}  // namespace cntr
