#include "credentials.hpp"

#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "proc_self.hpp"

namespace cntrfs {
namespace {

// setfsuid/setfsgid return the previous value and change nothing for an invalid id, so
// passing -1 reads the current one.
constexpr auto kQuery = static_cast<unsigned long>(-1);

uid_t set_fsuid(unsigned long uid) { return static_cast<uid_t>(::syscall(SYS_setfsuid, uid)); }
gid_t set_fsgid(unsigned long gid) { return static_cast<gid_t>(::syscall(SYS_setfsgid, gid)); }

// Gives the calling thread its own umask (see credentials.hpp); false if that failed,
// then the process-wide umask (0) stays in effect.
bool own_umask() {
    thread_local int state = 0;  // 0: not tried, 1: own fs_struct, -1: failed
    if (state == 0) state = ::unshare(CLONE_FS) == 0 ? 1 : -1;
    return state == 1;
}

}  // namespace

RequestCredentials::RequestCredentials(fuse_req_t req)
    : old_uid_(set_fsuid(kQuery)), old_gid_(set_fsgid(kQuery)) {
    const fuse_ctx* ctx = fuse_req_ctx(req);
    if (ctx->umask != 0 && own_umask()) {
        old_umask_ = ::umask(ctx->umask);
        umask_set_ = true;
    }
    if (ctx->uid == old_uid_ && ctx->gid == old_gid_) return;
    switched_ = true;
    // gid first: dropping fsuid 0 also drops the file-system capabilities.
    set_fsgid(ctx->gid);
    set_fsuid(ctx->uid);
    if (set_fsuid(kQuery) != ctx->uid || set_fsgid(kQuery) != ctx->gid) error_ = EPERM;
}

RequestCredentials::~RequestCredentials() {
    if (umask_set_) ::umask(old_umask_);
    if (!switched_) return;
    set_fsuid(old_uid_);  // uid first: restores the capabilities fsuid 0 carries
    set_fsgid(old_gid_);
}

}  // namespace cntrfs

namespace cntrfs {

void drop_sgid_after_write(fuse_req_t req, int fd) {
    const fuse_ctx* ctx = fuse_req_ctx(req);
    if (ctx->uid == 0) return;
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return;
    if ((st.st_mode & (S_ISGID | S_IXGRP)) != S_ISGID || ctx->gid == st.st_gid) return;
    std::array<gid_t, 64> groups{};
    int n = fuse_req_getgroups(req, static_cast<int>(groups.size()), groups.data());
    for (int i = 0; i < std::min<int>(n, static_cast<int>(groups.size())); ++i) {
        if (groups[static_cast<size_t>(i)] == st.st_gid) return;
    }
    ::chmod(ProcFdPath(fd).c_str(), st.st_mode & 07777 & ~S_ISGID);
}

}  // namespace cntrfs
