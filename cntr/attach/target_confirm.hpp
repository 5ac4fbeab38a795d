// Closing the window between an engine naming a container's PID and cntr's
// pidfd of it (issue 12, row 13). The engine answers with a number; by the time
// cntr opens /proc/PID and a pidfd, the container may have died and the number
// gone to another process. Asking the engine again after the pidfd is taken
// closes it: if the engine still names the same PID and the pidfd's process
// is still alive, both are the same process (a live process keeps its PID, so
// no other could have held that number in between).
#pragma once

#include <functional>
#include <string>

#include "process_context.hpp"
#include "resolve/resolver.hpp"

namespace cntr {

// `ask_engine_again` returns the PID the engine names for the container now.
// Throws UserError when it names another one or the captured process is gone.
void confirm_same_process(const ProcessContext& ctx, const std::string& container,
                          const std::function<pid_t()>& ask_engine_again);

// The same, asking the engine that resolved `container` (no-op for a PID or a
// command line the user gave: there the number is the user's own word).
void confirm_resolution(const ProcessContext& ctx, const std::string& container,
                        const ResolvedContainer& resolved);

}  // namespace cntr
