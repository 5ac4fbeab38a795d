#include "process_limits.hpp"

#include <linux/keyctl.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "error.hpp"
#include "file_io.hpp"
#include "log.hpp"

namespace cntr {

void apply_oom_score_adj(const ProcessContext& ctx) {
    if (!ctx.oom_score_adj) return;
    try {
        write_file("/proc/self/oom_score_adj", std::to_string(*ctx.oom_score_adj));
    } catch (const SysError& e) {
        // Lowering needs CAP_SYS_RESOURCE; without it the session stays more
        // killable than the container, which gives the container nothing.
        if (e.code() == EACCES || e.code() == EPERM) {
            log::debug("keeping cntr's oom_score_adj: {}", e.what());
            return;
        }
        throw UserError("cannot give the session the container's oom_score_adj " +
                        std::to_string(*ctx.oom_score_adj) + ": " + e.what() +
                        "; --elevate limits runs it with cntr's own");
    }
}

void apply_process_limits(const ProcessContext& ctx) {
    for (size_t res = 0; res < ctx.rlimits.size(); ++res) {
        const auto resource = static_cast<__rlimit_resource>(res);
        rlimit limit = ctx.rlimits[res];
        if (::setrlimit(resource, &limit) == 0) continue;
        // Raising a hard limit above cntr's own needs CAP_SYS_RESOURCE: then
        // the session keeps the lower one, never more than the container.
        rlimit own{};
        check(::getrlimit(resource, &own), "getrlimit");
        limit.rlim_max = std::min(limit.rlim_max, own.rlim_max);
        limit.rlim_cur = std::min(limit.rlim_cur, limit.rlim_max);
        check(::setrlimit(resource, &limit),
              "setrlimit " + std::to_string(res) + " (the container's limit)");
        log::debug("rlimit {}: cntr's hard limit {} is below the container's", res, own.rlim_max);
    }
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
