// Dropping the server's privileges (--unprivileged, attach mode).
//
// cntrfs-server starts as host root: it has to open a root that may live in another
// container's namespaces and take over a /dev/fuse descriptor. Once it holds both it
// needs nothing more to serve a read-only tree, and every privilege it keeps is one a
// container process can borrow: the container reaches the session's root through
// /proc/<session pid>/root, and a root server would open host files for it that the
// kernel's permission check (default_permissions, done with the container process's
// own ids) let through. As uid/gid 65534 with no supplementary groups and no
// capabilities, the server can open only what the world may read, so the session
// serves nothing a host user "nobody" could not read anyway.
//
// Why 65534: it is the kernel's overflow id and, on Debian and most distributions,
// "nobody"/"nogroup", which owns no file. It can signal the server (a session-local
// denial of service, nothing more); it cannot ptrace it, because the id change makes
// the server non-dumpable.
#pragma once

#include <sys/types.h>

namespace cntrfs {

inline constexpr uid_t kUnprivilegedUid = 65534;
inline constexpr gid_t kUnprivilegedGid = 65534;

// Empties the capability bounding set, drops the supplementary groups, sets every uid
// and gid to 65534, sets no_new_privs, and checks that no capability is left. A server
// started by an ordinary user without capabilities keeps that user's ids (it has no
// way to change them) and only sets no_new_privs. Must run
// before the process starts threads (the glibc wrappers change every thread, but a
// thread started later must not see half of it). Throws SysError/UserError: the
// server must not serve with privileges it was asked to drop.
void drop_privileges();

}  // namespace cntrfs
