// Per-process limits a `docker exec` process inherits from the container's
// configuration and cntr must copy from the container's process: rlimits,
// oom_score_adj, umask, personality; and the fresh session keyring runc gives
// every exec so the admin's keys never reach the container.
#pragma once

#include "process_context.hpp"

namespace cntr {

// oom_score_adj is inherited across fork, so the session child sets it on
// itself through the host's /proc before it enters any container namespace
// (a procfs the container cannot have mounted over).
void apply_oom_score_adj(const ProcessContext& ctx);

// rlimits, umask and personality of the container's process. Raising a hard
// limit needs CAP_SYS_RESOURCE: call before the credentials are dropped.
void apply_process_limits(const ProcessContext& ctx);

// Leaves the caller's (the admin's) session keyring for a new anonymous one.
// keyctl is denied by docker's seccomp filter: call before it is installed.
void join_fresh_session_keyring();

}  // namespace cntr
