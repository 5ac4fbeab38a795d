#include "credentials.hpp"

#include <fcntl.h>
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
int set_thread_groups(const std::vector<gid_t>& groups) {
    return static_cast<int>(::syscall(SYS_setgroups, groups.size(), groups.data()));
}

// Gives the calling thread its own umask (see credentials.hpp); false if that failed,
// then the process-wide umask (0) stays in effect.
bool own_umask() {
    thread_local int state = 0;  // 0: not tried, 1: own fs_struct, -1: failed
    if (state == 0) state = ::unshare(CLONE_FS) == 0 ? 1 : -1;
    return state == 1;
}

// The caller's supplementary groups as backing ids; empty if unknown.
std::vector<gid_t> caller_groups(fuse_req_t req, const FsConfig& config) {
    std::vector<gid_t> groups(64);
    int n = fuse_req_getgroups(req, static_cast<int>(groups.size()), groups.data());
    if (n > static_cast<int>(groups.size())) {
        groups.resize(static_cast<size_t>(n));
        n = fuse_req_getgroups(req, n, groups.data());
    }
    if (n <= 0) return {};
    groups.resize(std::min(static_cast<size_t>(n), groups.size()));
    for (gid_t& g : groups) g = config.gid_map.backing(g);
    return groups;
}

}  // namespace

RequestCredentials::RequestCredentials(fuse_req_t req, const FsConfig& config)
    : req_(req), config_(config), old_uid_(set_fsuid(kQuery)), old_gid_(set_fsgid(kQuery)) {
    const fuse_ctx* ctx = fuse_req_ctx(req);
    if (ctx->umask != 0 && own_umask()) {
        old_umask_ = ::umask(ctx->umask);
        umask_set_ = true;
    }
    // --effective-user: created as the server (the kernel already checked the caller's
    // permission; the effective user may have none there), then given away by chown_new.
    if (config.effective_user) return;
    uid_t uid = config.uid_map.backing(ctx->uid);
    gid_t gid = config.gid_map.backing(ctx->gid);
    if (uid == old_uid_ && gid == old_gid_) return;
    switched_ = true;
    // gid first: dropping fsuid 0 also drops the file-system capabilities.
    set_fsgid(gid);
    set_fsuid(uid);
    if (set_fsuid(kQuery) != uid || set_fsgid(kQuery) != gid) error_ = EPERM;
}

bool RequestCredentials::add_supplementary_groups() {
    if (!switched_ || groups_set_ || config_.effective_user) return false;
    std::vector<gid_t> groups = caller_groups(req_, config_);
    if (groups.empty()) return false;
    old_groups_.resize(static_cast<size_t>(std::max(::getgroups(0, nullptr), 0)));
    int n = ::getgroups(static_cast<int>(old_groups_.size()), old_groups_.data());
    if (n < 0) return false;
    old_groups_.resize(static_cast<size_t>(n));
    // Changing groups needs CAP_SETGID, which fsuid != 0 does not drop (it is not a
    // file-system capability).
    if (set_thread_groups(groups) != 0) return false;
    groups_set_ = true;
    return true;
}

RequestCredentials::~RequestCredentials() {
    if (umask_set_) ::umask(old_umask_);
    if (groups_set_) set_thread_groups(old_groups_);
    if (!switched_) return;
    set_fsuid(old_uid_);  // uid first: restores the capabilities fsuid 0 carries
    set_fsgid(old_gid_);
}

int RequestCredentials::chown_new(int dirfd, const char* name) const {
    if (!config_.effective_user) return 0;
    const auto [uid, gid] = *config_.effective_user;
    int res = name == nullptr ? ::fchown(dirfd, uid, gid)
                              : ::fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW);
    return res == 0 ? 0 : errno;
}

bool drop_setid_bits(fuse_req_t req, const FsConfig& config, int fd) {
    const fuse_ctx* ctx = fuse_req_ctx(req);
    if (config.uid_map.backing(ctx->uid) == 0) return false;
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & (S_ISUID | S_ISGID)) == 0) {
        return false;
    }
    auto in_group = [&] {
        if (config.gid_map.backing(ctx->gid) == st.st_gid) return true;
        for (gid_t g : caller_groups(req, config)) {
            if (g == st.st_gid) return true;
        }
        return false;
    };
    mode_t kill = st.st_mode & S_ISUID;
    if ((st.st_mode & S_ISGID) != 0 && ((st.st_mode & S_IXGRP) != 0 || !in_group())) {
        kill |= S_ISGID;
    }
    return kill != 0 && ::chmod(ProcFdPath(fd).c_str(), st.st_mode & 07777 & ~kill) == 0;
}

}  // namespace cntrfs
