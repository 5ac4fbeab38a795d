// Becoming the container's process: ids, supplementary groups, capability
// sets, no_new_privs (credentials.cpp) and its cgroup (cgroup.cpp); the LSM
// label is lsm.hpp's.
#pragma once

#include "process_context.hpp"

namespace cntr {

// Moves the calling process into every cgroup of the container's process.
// Must run in the host's cgroup namespace (the paths are host paths).
void join_cgroups(const ProcessContext& ctx);

// Switches to the container's uid/gid/groups and capability sets and sets
// no_new_privs like the container's process. Call it last before execve(),
// after joining the container's user namespace: ids are translated into it.
void apply_credentials(const ProcessContext& ctx);

}  // namespace cntr
