#include "process_limits.hpp"

#include <linux/keyctl.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "error.hpp"
#include "file_io.hpp"

namespace cntr {

void apply_oom_score_adj(const ProcessContext& ctx) {
    if (!ctx.oom_score_adj) return;
    try {
        write_file("/proc/self/oom_score_adj", std::to_string(*ctx.oom_score_adj));
    } catch (const SysError& e) {
        throw UserError("cannot give the session the container's oom_score_adj " +
                        std::to_string(*ctx.oom_score_adj) + ": " + e.what() +
                        "; --elevate limits runs it with cntr's own");
    }
}

void apply_process_limits(const ProcessContext& ctx) {
    for (size_t res = 0; res < ctx.rlimits.size(); ++res)
        check(::setrlimit(static_cast<__rlimit_resource>(res), &ctx.rlimits[res]),
              "setrlimit " + std::to_string(res) + " (the container's limit)");
    ::umask(ctx.umask);
    if (ctx.personality)
        check(::personality(*ctx.personality), "personality (the container's execution domain)");
}

void join_fresh_session_keyring() {
    // A NULL name makes a new anonymous keyring ("_ses") that only this
    // process and its children possess.
    check(static_cast<int>(::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, nullptr)),
          "keyctl KEYCTL_JOIN_SESSION_KEYRING (a fresh session keyring)");
}

}  // namespace cntr
