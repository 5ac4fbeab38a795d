// ChildProcess: owns a forked child. Unless it was waited for or detached,
// the destructor kills and reaps it, so no error path leaves a process behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>

#include "fd.hpp"

namespace cntr {

class ChildProcess {
  public:
    ChildProcess() = default;
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ChildProcess(ChildProcess&& other) noexcept;
    ChildProcess& operator=(ChildProcess&& other) noexcept;
    ~ChildProcess();

    // Forks; the child runs `body` and _exit()s with its return value
    // (125 if it throws). The child never returns into the caller's stack.
    static ChildProcess fork(const std::function<int()>& body);

    [[nodiscard]] pid_t pid() const noexcept { return pid_; }
    // A pidfd: readable once the child has exited. Usable in poll().
    [[nodiscard]] int pidfd() const noexcept { return pidfd_.get(); }

    // Blocks until the child exits; returns the raw wait status.
    int wait();
    // Waits at most `timeout`; nullopt if still running.
    std::optional<int> wait_for(std::chrono::milliseconds timeout);
    void kill(int sig) const;
    // Gives up ownership: the child is neither killed nor reaped by us.
    void detach() noexcept;

  private:
    pid_t pid_ = -1;
    Fd pidfd_;
};

// Maps a wait status to a shell-style exit code (128+N for signal N).
int exit_code_from_status(int status);

}  // namespace cntr
