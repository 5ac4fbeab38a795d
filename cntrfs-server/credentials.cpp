#include "credentials.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace cntrfs {
namespace {

// setfsuid/setfsgid return the previous value and change nothing for an invalid id, so
// passing -1 reads the current one.
constexpr auto kQuery = static_cast<unsigned long>(-1);

uid_t set_fsuid(unsigned long uid) { return static_cast<uid_t>(::syscall(SYS_setfsuid, uid)); }
gid_t set_fsgid(unsigned long gid) { return static_cast<gid_t>(::syscall(SYS_setfsgid, gid)); }

}  // namespace

RequestCredentials::RequestCredentials(fuse_req_t req)
    : old_uid_(set_fsuid(kQuery)), old_gid_(set_fsgid(kQuery)) {
    const fuse_ctx* ctx = fuse_req_ctx(req);
    if (ctx->uid == old_uid_ && ctx->gid == old_gid_) return;
    switched_ = true;
    // gid first: dropping fsuid 0 also drops the file-system capabilities.
    set_fsgid(ctx->gid);
    set_fsuid(ctx->uid);
    if (set_fsuid(kQuery) != ctx->uid || set_fsgid(kQuery) != ctx->gid) error_ = EPERM;
}

RequestCredentials::~RequestCredentials() {
    if (!switched_) return;
    set_fsuid(old_uid_);  // uid first: restores the capabilities fsuid 0 carries
    set_fsgid(old_gid_);
}

}  // namespace cntrfs
