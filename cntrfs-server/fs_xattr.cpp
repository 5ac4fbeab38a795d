// Extended attributes. The f*xattr calls refuse O_PATH descriptors, so they go through
// the descriptor's magic link /proc/self/fd/N, which reaches the pinned inode itself
// (for a symlink: the link, not its target).
//
// Two things are not plain pass-through:
//   - POSIX ACLs carry user and group ids; with --uid-map/--gid-map they are shifted
//     like file owners (id_map.hpp): host ids on the wire, container ids on disk.
//   - security.capability. The kernel asks for it before writes to a file and on chown
//     (file_remove_privs, notify_change -> cap_inode_need_killpriv): with
//     FUSE_HANDLE_KILLPRIV_V2 (fs_init.cpp) before the first write to an inode only,
//     without it before every write(2) - the overhead the CNTR paper measured in apache
//     and iozone. Almost no file has the attribute, so the answer "none" is remembered
//     per inode together with the file's ctime: any change of the file's xattrs (through
//     the mount or behind it) changes its ctime, and the next query goes to the disk
//     again. A hit costs one fstat of the O_PATH descriptor instead of a path walk and a
//     getxattr. --no-xattr-shortcut turns this off for measurement.
#include <sys/stat.h>
#include <sys/xattr.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string_view>

#include "file_system.hpp"
#include "proc_self.hpp"

namespace cntrfs {
namespace {

constexpr std::string_view kCapability = "security.capability";

bool is_acl(const char* name) {
    return std::strcmp(name, "system.posix_acl_access") == 0 ||
           std::strcmp(name, "system.posix_acl_default") == 0;
}

// Rewrites the ids of ACL_USER / ACL_GROUP entries of an xattr-format ACL in place
// (header: u32 version; entries: u16 tag, u16 perm, u32 id).
template <typename UidFn, typename GidFn>
void shift_acl_ids(char* data, size_t size, UidFn uid, GidFn gid) {
    constexpr uint16_t kUser = 0x02, kGroup = 0x08;
    for (size_t off = 4; off + 8 <= size; off += 8) {
        uint16_t tag = 0;
        uint32_t id = 0;
        std::memcpy(&tag, data + off, 2);
        std::memcpy(&id, data + off + 4, 4);
        if (tag == kUser) id = uid(id);
        if (tag == kGroup) id = gid(id);
        std::memcpy(data + off + 4, &id, 4);
    }
}

int64_t ctime_ns(int fd) {
    struct stat st {};
    if (::fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0) return -2;
    return st.st_ctim.tv_sec * 1'000'000'000LL + st.st_ctim.tv_nsec;
}

}  // namespace

void FileSystem::setxattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value,
                          size_t size, int flags) {
    if (config_.read_only) return reply_errno(req, EROFS);
    Inode& inode = inodes_.get(ino);
    ProcFdPath path(inode.fd.get());
    int res = 0;
    if (is_acl(name) && (!config_.uid_map.empty() || !config_.gid_map.empty())) {
        std::string copy(value, size);
        shift_acl_ids(
            copy.data(), copy.size(), [&](uint32_t id) { return config_.uid_map.backing(id); },
            [&](uint32_t id) { return config_.gid_map.backing(id); });
        res = ::setxattr(path.c_str(), name, copy.data(), copy.size(), flags);
    } else {
        res = ::setxattr(path.c_str(), name, value, size, flags);
    }
    inode.no_capability_ctime.store(-1);
    fuse_reply_err(req, res == 0 ? 0 : errno);
}

void FileSystem::getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
    Inode& inode = inodes_.get(ino);
    const bool capability = config_.features.xattr_shortcut && name == kCapability;
    int64_t ctime = 0;
    if (capability) {
        ctime = ctime_ns(inode.fd.get());
        if (ctime >= 0 && inode.no_capability_ctime.load() == ctime) {
            return reply_errno(req, ENODATA);
        }
    }
    ProcFdPath path(inode.fd.get());
    std::unique_ptr<char[]> buf;
    if (size != 0) buf = std::make_unique_for_overwrite<char[]>(size);
    ssize_t n = ::getxattr(path.c_str(), name, buf.get(), size);
    if (n < 0) {
        int err = errno;
        if (capability && err == ENODATA) inode.no_capability_ctime.store(ctime);
        return reply_errno(req, err);
    }
    if (size == 0) {  // the caller asked for the size only
        fuse_reply_xattr(req, static_cast<size_t>(n));
        return;
    }
    if (is_acl(name) && (!config_.uid_map.empty() || !config_.gid_map.empty())) {
        shift_acl_ids(
            buf.get(), static_cast<size_t>(n),
            [&](uint32_t id) { return config_.uid_map.report(id); },
            [&](uint32_t id) { return config_.gid_map.report(id); });
    }
    fuse_reply_buf(req, buf.get(), static_cast<size_t>(n));
}

void FileSystem::listxattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
    ProcFdPath path(inodes_.get(ino).fd.get());
    if (size == 0) {
        ssize_t n = ::listxattr(path.c_str(), nullptr, 0);
        if (n < 0) return reply_errno(req, errno);
        fuse_reply_xattr(req, static_cast<size_t>(n));
        return;
    }
    auto buf = std::make_unique_for_overwrite<char[]>(size);
    ssize_t n = ::listxattr(path.c_str(), buf.get(), size);
    if (n < 0) return reply_errno(req, errno);
    fuse_reply_buf(req, buf.get(), static_cast<size_t>(n));
}

void FileSystem::removexattr(fuse_req_t req, fuse_ino_t ino, const char* name) {
    if (config_.read_only) return reply_errno(req, EROFS);
    Inode& inode = inodes_.get(ino);
    ProcFdPath path(inode.fd.get());
    int res = ::removexattr(path.c_str(), name);
    inode.no_capability_ctime.store(-1);
    fuse_reply_err(req, res == 0 ? 0 : errno);
}

}  // namespace cntrfs
