// Becoming the container's process: ids, supplementary groups, capability
// sets, no_new_privs (credentials.cpp) and its cgroup (cgroup.cpp); the LSM
// label is lsm.hpp's.
#pragma once

#include "elevation.hpp"
#include "process_context.hpp"

namespace cntr {

// Moves the calling process into every cgroup of the container's process.
// Must run in the host's cgroup namespace (the paths are host paths).
void join_cgroups(const ProcessContext& ctx);

// Switches to the container's uid/gid/groups and capability sets and sets
// no_new_privs like the container's process. Call it last before execve(),
// after joining the container's user namespace: ids are translated into it.
// `elevation.caps` keeps every capability; unless `elevation.fence`, the
// ptrace fence capability (below) is added to every set.
void apply_credentials(const ProcessContext& ctx, const Elevation& elevation);

// The ptrace fence. The kernel lets a process ptrace another of the same user
// namespace, or open its /proc/PID/{fd,root,cwd,environ,mem}, only if the
// tracer's capabilities are a superset of the tracee's permitted set
// (cap_ptrace_access_check), unless it has CAP_SYS_PTRACE. Keeping one
// capability the container's bounding set lacks in the session's bounding,
// permitted, inheritable and ambient sets (so it survives every execve, for
// root and other uids alike) puts every session process out of the reach of
// the container's processes, while the session's own gdb -p and strace -p,
// which hold the capability too, still work. CAP_WAKE_ALARM only lets a
// process set timers that wake a suspended machine: harmless on a server.
// nullopt when the container already holds it (then no fence is possible
// and a container with CAP_SYS_PTRACE is never fenced anyway).
std::optional<int> ptrace_fence_capability(const ProcessContext& ctx);

}  // namespace cntr
