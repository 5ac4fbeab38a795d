// Per-request file-system credentials.
//
// The server runs as root, but a file created through the mount must belong to the
// process that created it. Operations that create inodes (mknod, mkdir, symlink, create)
// switch the calling worker thread's fsuid/fsgid to the request's uid/gid for the one
// syscall that creates the file, then switch back. Linux keeps fsuid/fsgid and the
// supplementary group list per thread, and the raw SYS_setfsuid/SYS_setfsgid/
// SYS_setgroups syscalls touch only the calling thread, so the other workers keep serving
// as root meanwhile. (glibc's wrappers would change every thread of the process.)
//
// Which ids. By default the caller's (host) fsuid/fsgid, translated by --uid-map/--gid-map
// (id_map.hpp). With --effective-user UID:GID every file created through the mount
// belongs to that host user, whoever the caller is: it is created by the server itself
// (the kernel checked the caller's permission; the effective user may have none in that
// directory) and chown_new() gives it away right after.
//
// Permission checks were already done by the kernel (the mount uses default_permissions,
// and FUSE_CAP_POSIX_ACL makes it evaluate ACLs too) with the caller's full credentials.
// With fsuid switched, the backing file system checks again, as the caller minus its
// supplementary groups. Looking the groups up costs a read of /proc/PID/task/TID/status,
// so it is done only when that second check refuses (EACCES/EPERM): the syscall is then
// retried with the caller's supplementary groups (add_supplementary_groups()).
//
// --unprivileged. A server that dropped to uid 65534 (privileges.hpp) has no
// CAP_SETUID/CAP_SETGID, so it could not switch to the caller's ids: every switch would
// fail (EPERM), or worse, files would be created as 65534. That is why main.cpp allows
// --unprivileged only with --read-only: every operation that would construct a
// RequestCredentials (creating, chown) or call drop_setid_bits (writing) is refused with
// EROFS first, and reads are done with the server's own ids - exactly the "world may
// read" check the mode is for. (--shift-owners is read-only only for the same reason
// on the id side; id_map.hpp.)
//
// The umask. With FUSE_CAP_DONT_MASK the kernel sends the mode unmasked plus the
// caller's umask, so the backing file system can do what a local one does: ignore the
// umask when the parent has a default ACL (the ACL masks the mode instead), apply it
// otherwise. The umask lives in the fs_struct a process's threads share, so every
// worker thread unshares its own (unshare(CLONE_FS), once) and sets the request's umask
// around the creating syscall.
#pragma once

#include <fuse_lowlevel.h>
#include <sys/types.h>

#include <vector>

#include "options.hpp"

namespace cntrfs {

class RequestCredentials {
  public:
    // Switches to the ids that files created for `req` must get; error() tells whether
    // that worked.
    RequestCredentials(fuse_req_t req, const FsConfig& config);
    ~RequestCredentials();
    RequestCredentials(const RequestCredentials&) = delete;
    RequestCredentials& operator=(const RequestCredentials&) = delete;

    // 0, or the errno to reply with when the switch failed (EPERM).
    [[nodiscard]] int error() const { return error_; }

    // Adds the caller's supplementary groups to this thread for a retry; false when
    // there is nothing to add (no groups, --effective-user, or the lookup failed).
    bool add_supplementary_groups();

    // With --effective-user: chowns the new file `name` in `dirfd` (or the open file
    // `dirfd` when `name` is null) to that user; 0 or an errno value.
    [[nodiscard]] int chown_new(int dirfd, const char* name) const;

  private:
    fuse_req_t req_;
    const FsConfig& config_;
    uid_t old_uid_;
    gid_t old_gid_;
    mode_t old_umask_ = 0;
    bool umask_set_ = false;
    bool switched_ = false;
    bool groups_set_ = false;
    std::vector<gid_t> old_groups_;
    int error_ = 0;
};

// Set-id bits after a write or truncate by `req`'s caller to the file `fd` (any
// descriptor, O_PATH too), as a local file system clears them (file_remove_privs):
// set-user-id always, set-group-id when group-execute is set or the writer is not in
// the file's group - unless the writer holds CAP_FSETID (root counts as holding it).
// Our own writes run as root, which keeps the bits, so this is the server's job: with
// FUSE_HANDLE_KILLPRIV_V2 the kernel leaves all of it to us, and without it the kernel
// only does the first two cases. Costs one fstat per write of a non-root caller, and a
// group lookup only when the rare mode is present. Returns whether it changed the mode.
bool drop_setid_bits(fuse_req_t req, const FsConfig& config, int fd);

}  // namespace cntrfs
