// Checks before cntr touches anything, each failing with what to do about it.
#pragma once

namespace cntr {

// Privileges cntr needs to enter another process's namespaces and mount.
void require_privileges(const char* command);
// Linux 5.9: openat2 (5.6), the new mount API (5.2), pidfd (5.3), close_range (5.9).
void require_kernel();
void require_fuse_device();

}  // namespace cntr
