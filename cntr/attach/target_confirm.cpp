#include "target_confirm.hpp"

#include "error.hpp"

namespace cntr {

void confirm_same_process(const ProcessContext& ctx, const std::string& container,
                          const std::function<pid_t()>& ask_engine_again) {
    pid_t now = 0;
    try {
        now = ask_engine_again();
    } catch (const UserError& e) {
        throw UserError("container '" + container + "' went away while cntr attached to it (" +
                        e.what() + "); try again");
    }
    // Order matters: the pidfd is checked after the engine's second answer.
    if (now != ctx.pid || !pidfd_alive(ctx.pidfd.get()))
        throw UserError("container '" + container + "' restarted while cntr attached to it (its " +
                        "process was PID " + std::to_string(ctx.pid) + ", now " +
                        (now > 0 ? "PID " + std::to_string(now) : std::string("none")) +
                        "); try again");
}

void confirm_resolution(const ProcessContext& ctx, const std::string& container,
                        const ResolvedContainer& resolved) {
    if (resolved.engine == "process_id" || resolved.engine == "command") return;
    confirm_same_process(ctx, container,
                         [&] { return resolve_container(container, {resolved.engine}).pid; });
}

}  // namespace cntr
