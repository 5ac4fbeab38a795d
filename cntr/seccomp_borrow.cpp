#include "seccomp_borrow.hpp"

#include <linux/seccomp.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

#include "error.hpp"
#include "log.hpp"

namespace cntr {
namespace {

// One filter is at most BPF_MAXINSNS instructions, and a process may stack
// filters up to 32768 instructions in all (MAX_INSNS_PER_PATH).
constexpr long kMaxFilters = 64;

// Detaches on every path, so an error can never leave the container's
// process stopped or traced by cntr.
class SeizedProcess {
  public:
    explicit SeizedProcess(pid_t pid) : pid_(pid) {
        if (::ptrace(PTRACE_SEIZE, pid, nullptr, nullptr) != 0) {
            int err = errno;
            throw UserError(
                "cannot read the seccomp filter of process " + std::to_string(pid) +
                ": ptrace PTRACE_SEIZE: " + std::strerror(err) +
                (err == EPERM ? " (is it already traced, e.g. by strace or gdb?)" : "") +
                "; --elevate seccomp runs the session without it");
        }
        seized_ = true;
        check(::ptrace(PTRACE_INTERRUPT, pid, nullptr, nullptr), "ptrace PTRACE_INTERRUPT");
        // The interrupt shows up as a group-stop-like PTRACE_EVENT_STOP.
        for (;;) {
            int status = 0;
            pid_t r = ::waitpid(pid, &status, __WALL);
            if (r < 0 && errno == EINTR) continue;
            check(r, "waitpid for the stopped process " + std::to_string(pid));
            if (WIFSTOPPED(status)) break;
            if (WIFEXITED(status) || WIFSIGNALED(status)) {
                seized_ = false;
                throw UserError("process " + std::to_string(pid) +
                                " exited while cntr read its seccomp filter");
            }
        }
    }
    SeizedProcess(const SeizedProcess&) = delete;
    SeizedProcess& operator=(const SeizedProcess&) = delete;
    ~SeizedProcess() {
        if (seized_) (void)::ptrace(PTRACE_DETACH, pid_, nullptr, nullptr);
    }

  private:
    pid_t pid_;
    bool seized_ = false;
};

}  // namespace

std::vector<std::vector<sock_filter>> borrow_seccomp_filters(pid_t pid) {
    std::vector<std::vector<sock_filter>> filters;
    const auto start = std::chrono::steady_clock::now();
    {
        SeizedProcess seized(pid);
        // Index 0 is the oldest filter (kernel/seccomp.c, get_nth_filter).
        for (long index = 0; index < kMaxFilters; ++index) {
            long count = ::ptrace(PTRACE_SECCOMP_GET_FILTER, pid, index, nullptr);
            if (count < 0 && errno == ENOENT) break;
            if (count < 0)
                throw UserError("cannot read seccomp filter " + std::to_string(index) +
                                " of process " + std::to_string(pid) +
                                ": ptrace PTRACE_SECCOMP_GET_FILTER: " + std::strerror(errno) +
                                "; --elevate seccomp runs the session without it");
            std::vector<sock_filter> prog(static_cast<size_t>(count));
            check(::ptrace(PTRACE_SECCOMP_GET_FILTER, pid, index, prog.data()),
                  "ptrace PTRACE_SECCOMP_GET_FILTER");
            filters.push_back(std::move(prog));
        }
    }
    const auto stopped = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - start);
    log::debug("borrowed {} seccomp filter(s) of process {}; it was stopped for {} us",
               filters.size(), pid, stopped.count());
    return filters;
}

void borrow_container_seccomp(ProcessContext& ctx) {
    if (ctx.seccomp_mode == 0) return;
    if (ctx.seccomp_mode != 2)
        throw UserError("process " + std::to_string(ctx.pid) + " runs in seccomp mode " +
                        std::to_string(ctx.seccomp_mode) +
                        ", which a session cannot copy; --elevate seccomp runs it without");
    ctx.seccomp_filters = borrow_seccomp_filters(ctx.pid);
}

void install_seccomp_filters(const std::vector<std::vector<sock_filter>>& filters) {
    for (const auto& f : filters) {
        sock_fprog prog{.len = static_cast<unsigned short>(f.size()),
                        .filter = const_cast<sock_filter*>(f.data())};
        check(static_cast<int>(::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)),
              "seccomp SECCOMP_SET_MODE_FILTER (the container's filter)");
    }
}

}  // namespace cntr
