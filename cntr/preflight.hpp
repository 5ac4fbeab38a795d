// Checks before cntr touches anything, each failing with what to do about it.
#pragma once

#include <sys/types.h>

namespace cntr {

// Privileges cntr needs to enter another process's namespaces and mount.
//
// Full mode (root): CAP_SYS_ADMIN, CAP_SYS_CHROOT, CAP_SYS_PTRACE, CAP_SETUID,
// CAP_SETGID, CAP_SETPCAP, CAP_DAC_OVERRIDE; any container.
// Unprivileged mode: an ordinary user running a cntr binary with file
// capabilities cap_sys_admin,cap_sys_chroot=ep (see preflight.cpp); only
// containers in a user namespace that user owns (rootless podman).
void require_privileges(const char* command);
// After resolving: in unprivileged mode, refuses targets outside a user
// namespace owned by the caller, naming the capabilities root would bring.
void require_target_access(pid_t pid, const char* command);
// Linux 5.9: openat2 (5.6), the new mount API (5.2), pidfd (5.3), close_range (5.9).
void require_kernel();
void require_fuse_device();

}  // namespace cntr
