#include "child_process.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <exception>
#include <utility>

#include "error.hpp"
#include "log.hpp"

namespace cntr {

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), pidfd_(std::move(other.pidfd_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
    if (this != &other) {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        pid_ = std::exchange(other.pid_, -1);
        pidfd_ = std::move(other.pidfd_);
    }
    return *this;
}

ChildProcess::~ChildProcess() {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
        }
    }
}

ChildProcess ChildProcess::fork(const std::function<int()>& body) {
    pid_t pid = check(::fork(), "fork");
    if (pid == 0) {
        int code = 125;
        try {
            code = body();
        } catch (const std::exception& e) {
            log::error("{}", e.what());
        }
        ::_exit(code);
    }
    ChildProcess child;
    child.pid_ = pid;
    child.pidfd_ = Fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!child.pidfd_) throw_errno("pidfd_open");
    return child;
}

int ChildProcess::wait() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0) {
        if (errno != EINTR) throw_errno("waitpid");
    }
    pid_ = -1;
    pidfd_.reset();
    return status;
}

std::optional<int> ChildProcess::wait_for(std::chrono::milliseconds timeout) {
    pollfd p{.fd = pidfd_.get(), .events = POLLIN, .revents = 0};
    int n;
    do {
        n = ::poll(&p, 1, static_cast<int>(timeout.count()));
    } while (n < 0 && errno == EINTR);
    check(n, "poll");
    if (n == 0) return std::nullopt;
    return wait();
}

void ChildProcess::kill(int sig) const {
    if (pid_ > 0) ::syscall(SYS_pidfd_send_signal, pidfd_.get(), sig, nullptr, 0);
}

void ChildProcess::detach() noexcept {
    pid_ = -1;
    pidfd_.reset();
}

int exit_code_from_status(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 125;
}

}  // namespace cntr
