// Per-request file-system credentials.
//
// The server runs as root, but a file created through the mount must belong to the
// process that created it. Operations that create inodes (mknod, mkdir, symlink, create)
// switch the calling worker thread's fsuid/fsgid to the request's uid/gid for the one
// syscall that creates the file, then switch back. Linux keeps fsuid/fsgid per thread
// and the raw SYS_setfsuid/SYS_setfsgid syscalls touch only the calling thread, so the
// other workers keep serving as root meanwhile. (glibc's setuid family would change every
// thread of the process.)
//
// Permission checks were already done by the kernel (the mount uses
// default_permissions) with the caller's full credentials; the server's fsuid switch only
// decides ownership. Supplementary groups are not switched: a directory writable only
// through a supplementary group of the caller refuses the create with EACCES.
#pragma once

#include <fuse_lowlevel.h>
#include <sys/types.h>

namespace cntrfs {

class RequestCredentials {
  public:
    // Switches to the uid/gid of `req`; error() tells whether that worked.
    explicit RequestCredentials(fuse_req_t req);
    ~RequestCredentials();
    RequestCredentials(const RequestCredentials&) = delete;
    RequestCredentials& operator=(const RequestCredentials&) = delete;

    // 0, or the errno to reply with when the switch failed (EPERM).
    [[nodiscard]] int error() const { return error_; }

  private:
    uid_t old_uid_;
    gid_t old_gid_;
    bool switched_ = false;
    int error_ = 0;
};

}  // namespace cntrfs
