// Names and attributes: lookup/forget and the operations that create, remove, rename or
// change inodes. Every one works relative to the parent's O_PATH descriptor; new inodes
// are created with the caller's fsuid/fsgid (credentials.hpp).
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>

#include "credentials.hpp"
#include "file_system.hpp"
#include "proc_self.hpp"

namespace cntrfs {
namespace {

// The kernel only sends single path components other than "." and "..". Anything else
// would walk out of the parent (".." of the root escapes it), so it is refused.
bool is_plain_name(const char* name) {
    if (name[0] == '\0' || std::strchr(name, '/') != nullptr) return false;
    return !(name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')));
}

int stat_fd(int fd, struct stat& st) {
    return ::fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == 0 ? 0 : errno;
}

}  // namespace

int FileSystem::lookup_at(int dirfd, const char* name, fuse_entry_param& e) {
    e = fuse_entry_param{};
    e.attr_timeout = config_.attr_timeout;
    e.entry_timeout = config_.entry_timeout;
    if (!is_plain_name(name)) return EINVAL;

    cntr::Fd fd(
        open_with_room([&] { return ::openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC); }));
    if (!fd) return errno;
    if (is_own_mount(fd.get())) return ELOOP;
    return remember_entry(std::move(fd), e);
}

bool FileSystem::is_own_mount(int fd) {
    // Our own mount seen from inside the root (standalone mode, mountpoint under the
    // root). Entering it would send requests to ourselves - a deadlock with one thread.
    // AT_STATX_DONT_SYNC answers from the kernel's cache, so even this check sends none.
    const dev_t self = inodes_.self_dev();
    if (self == 0) return false;
    struct statx stx {};
    if (::statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC, 0, &stx) != 0) {
        return false;
    }
    return makedev(stx.stx_dev_major, stx.stx_dev_minor) == self;
}

int FileSystem::remember_entry(cntr::Fd fd, fuse_entry_param& e, Inode** remembered) {
    e = fuse_entry_param{};
    e.attr_timeout = config_.attr_timeout;
    e.entry_timeout = config_.entry_timeout;
    if (int err = stat_fd(fd.get(), e.attr); err != 0) return err;

    Inode& inode = inodes_.remember(std::move(fd), e.attr);
    present(inode, e.attr);
    e.ino = inode.id;
    if (remembered != nullptr) *remembered = &inode;
    return 0;
}

void FileSystem::lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
    fuse_entry_param e;
    int err = lookup_at(inodes_.get(parent).fd.get(), name, e);
    if (err == ENOENT) {
        // A negative entry (node id 0): the kernel remembers the name is absent.
        e = fuse_entry_param{};
        e.entry_timeout =
            config_.negative_timeout >= 0 ? config_.negative_timeout : config_.entry_timeout;
        fuse_reply_entry(req, &e);
    } else if (err != 0) {
        reply_errno(req, err);
    } else {
        fuse_reply_entry(req, &e);
    }
}

void FileSystem::present(const Inode& inode, struct stat& st) const {
    inode.report(st);
    st.st_uid = config_.uid_map.report(st.st_uid);
    st.st_gid = config_.gid_map.report(st.st_gid);
}

void FileSystem::forget(fuse_ino_t ino, uint64_t nlookup) { inodes_.forget(ino, nlookup); }

void FileSystem::getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    const Inode& inode = inodes_.get(ino);
    struct stat st {};
    int err = stat_fd(fi != nullptr ? fh_of(fi) : inode.fd.get(), st);
    if (err != 0) return reply_errno(req, err);
    present(inode, st);
    fuse_reply_attr(req, &st, config_.attr_timeout);
}

void FileSystem::setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int valid,
                         fuse_file_info* fi) {
    if (config_.read_only) return reply_errno(req, EROFS);
    const Inode& inode = inodes_.get(ino);
    const int fd = inode.fd.get();
    const int fh = fi != nullptr ? fh_of(fi) : -1;

    // Owner first: chown clears set-id bits, so a mode sent along must be applied after.
    if ((valid & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) != 0) {
        // Ids on the wire are host ids; the backing file gets the container's (id_map.hpp).
        uid_t uid = (valid & FUSE_SET_ATTR_UID) != 0 ? config_.uid_map.backing(attr->st_uid)
                                                     : static_cast<uid_t>(-1);
        gid_t gid = (valid & FUSE_SET_ATTR_GID) != 0 ? config_.gid_map.backing(attr->st_gid)
                                                     : static_cast<gid_t>(-1);
        if (::fchownat(fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0) {
            return reply_errno(req, errno);
        }
    }
    if ((valid & FUSE_SET_ATTR_MODE) != 0) {
        mode_t mode = attr->st_mode & 07777;
        int res = fh >= 0 ? ::fchmod(fh, mode) : ::chmod(ProcFdPath(fd).c_str(), mode);
        if (res != 0) return reply_errno(req, errno);
    }
    if ((valid & FUSE_SET_ATTR_SIZE) != 0) {
        int res = fh >= 0 ? ::ftruncate(fh, attr->st_size)
                          : ::truncate(ProcFdPath(fd).c_str(), attr->st_size);
        if (res != 0) return reply_errno(req, errno);
        drop_setid_bits(req, config_, fd);  // the reply below carries the new mode
    }
    constexpr int kTimes = FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_ATIME_NOW |
                           FUSE_SET_ATTR_MTIME_NOW;
    if ((valid & kTimes) != 0) {
        std::array<timespec, 2> tv{timespec{0, UTIME_OMIT}, timespec{0, UTIME_OMIT}};
        if ((valid & FUSE_SET_ATTR_ATIME_NOW) != 0) {
            tv[0].tv_nsec = UTIME_NOW;
        } else if ((valid & FUSE_SET_ATTR_ATIME) != 0) {
            tv[0] = attr->st_atim;
        }
        if ((valid & FUSE_SET_ATTR_MTIME_NOW) != 0) {
            tv[1].tv_nsec = UTIME_NOW;
        } else if ((valid & FUSE_SET_ATTR_MTIME) != 0) {
            tv[1] = attr->st_mtim;
        }
        int res = fh >= 0 ? ::futimens(fh, tv.data())
                          : ::utimensat(fd, "", tv.data(), AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
        if (res != 0) return reply_errno(req, errno);
    }
    getattr(req, ino, fi);
}

void FileSystem::readlink(fuse_req_t req, fuse_ino_t ino) {
    const int fd = inodes_.get(ino).fd.get();
    std::array<char, PATH_MAX + 1> buf{};
    ssize_t n = ::readlinkat(fd, "", buf.data(), buf.size());
    if (n < 0) return reply_errno(req, errno);
    if (static_cast<size_t>(n) == buf.size()) return reply_errno(req, ENAMETOOLONG);
    std::string target(buf.data(), static_cast<size_t>(n));
    fix_proc_self_link(req, fd, target);
    fuse_reply_readlink(req, target.c_str());
}

void FileSystem::make_node(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
                           dev_t rdev, const char* link) {
    if (config_.read_only) return reply_errno(req, EROFS);
    if (!is_plain_name(name)) return reply_errno(req, EINVAL);
    const int dirfd = inodes_.get(parent).fd.get();
    int err = 0;
    auto make = [&] {
        if (S_ISDIR(mode)) return ::mkdirat(dirfd, name, mode);
        if (S_ISLNK(mode)) return ::symlinkat(link, dirfd, name);
        return ::mknodat(dirfd, name, mode, rdev);
    };
    {
        RequestCredentials creds(req, config_);
        if (creds.error() != 0) return reply_errno(req, creds.error());
        int res = make();
        if (res != 0 && (errno == EACCES || errno == EPERM) && creds.add_supplementary_groups()) {
            res = make();
        }
        err = res != 0 ? errno : creds.chown_new(dirfd, name);
    }
    if (err != 0) return reply_errno(req, err);

    fuse_entry_param e;
    if (err = lookup_at(dirfd, name, e); err != 0) return reply_errno(req, err);
    fuse_reply_entry(req, &e);
}

void FileSystem::mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
                       dev_t rdev) {
    make_node(req, parent, name, mode, rdev, nullptr);
}

void FileSystem::mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
    make_node(req, parent, name, S_IFDIR | mode, 0, nullptr);
}

void FileSystem::symlink(fuse_req_t req, const char* link, fuse_ino_t parent, const char* name) {
    make_node(req, parent, name, S_IFLNK | 0777, 0, link);
}

void FileSystem::link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char* newname) {
    if (config_.read_only) return reply_errno(req, EROFS);
    if (!is_plain_name(newname)) return reply_errno(req, EINVAL);
    Inode& inode = inodes_.get(ino);
    // linkat(fd, "", ..., AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH in the initial user
    // namespace; following the magic link works wherever the server runs.
    if (::linkat(AT_FDCWD, ProcFdPath(inode.fd.get()).c_str(), inodes_.get(newparent).fd.get(),
                 newname, AT_SYMLINK_FOLLOW) != 0) {
        return reply_errno(req, errno);
    }
    fuse_entry_param e{};
    e.attr_timeout = config_.attr_timeout;
    e.entry_timeout = config_.entry_timeout;
    if (int err = stat_fd(inode.fd.get(), e.attr); err != 0) return reply_errno(req, err);
    present(inode, e.attr);
    inodes_.add_ref(inode);
    e.ino = inode.id;
    fuse_reply_entry(req, &e);
}

void FileSystem::unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
    if (config_.read_only) return reply_errno(req, EROFS);
    if (!is_plain_name(name)) return reply_errno(req, EINVAL);
    int res = ::unlinkat(inodes_.get(parent).fd.get(), name, 0);
    fuse_reply_err(req, res == 0 ? 0 : errno);
}

void FileSystem::rmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
    if (config_.read_only) return reply_errno(req, EROFS);
    if (!is_plain_name(name)) return reply_errno(req, EINVAL);
    int res = ::unlinkat(inodes_.get(parent).fd.get(), name, AT_REMOVEDIR);
    fuse_reply_err(req, res == 0 ? 0 : errno);
}

void FileSystem::rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent,
                        const char* newname, unsigned int flags) {
    if (config_.read_only) return reply_errno(req, EROFS);
    if (!is_plain_name(name) || !is_plain_name(newname)) return reply_errno(req, EINVAL);
    // flags are RENAME_NOREPLACE / RENAME_EXCHANGE / RENAME_WHITEOUT, passed on as they are.
    int res = ::renameat2(inodes_.get(parent).fd.get(), name, inodes_.get(newparent).fd.get(),
                          newname, flags);
    fuse_reply_err(req, res == 0 ? 0 : errno);
}

void FileSystem::statfs(fuse_req_t req, fuse_ino_t ino) {
    struct statvfs st {};
    if (::fstatvfs(inodes_.get(ino).fd.get(), &st) != 0) return reply_errno(req, errno);
    fuse_reply_statfs(req, &st);
}

}  // namespace cntrfs
