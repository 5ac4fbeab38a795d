// Without a PTY the session's stdin, stdout and stderr are pipes, and cntr
// copies its own 0/1/2 to and from them, byte for byte. Handing the command
// cntr's own descriptors would give the container the admin's terminal or
// host files: a process of the container can open a session process's
// /proc/PID/fd/0 the moment it may ptrace it (issue 12, row 9).
//
// EOF travels both ways: EOF on cntr's stdin closes the command's stdin;
// the command closing its stdout ends that copy; cntr's stdout going away
// (EPIPE) closes the pipe, so the command gets SIGPIPE as it would have.
#pragma once

#include <poll.h>

#include <array>
#include <string>

#include "fd.hpp"

namespace cntr {

class StdioRelay {
  public:
    // Creates the three pipes; command_ends() go to the session child.
    StdioRelay();
    [[nodiscard]] std::array<int, 3> command_ends() const;
    // After the fork: cntr keeps only its own ends.
    void close_command_ends();

    // The poll entries for this round (fd -1 when not wanted) and the work for its result.
    [[nodiscard]] std::array<pollfd, 4> poll_entries() const;
    void handle(const std::array<pollfd, 4>& polled);
    // After the command exited: copies what it left in the pipes, without waiting
    // for processes it left behind that still hold them.
    void drain();

  private:
    bool copy_out(Fd& from, int to);
    void read_stdin();
    void write_stdin();

    Fd stdin_w_, stdout_r_, stderr_r_;  // cntr's ends
    std::array<Fd, 3> command_;         // the command's ends
    std::string to_command_;            // read from cntr's stdin, not yet written
    bool stdin_eof_ = false;
};

}  // namespace cntr
