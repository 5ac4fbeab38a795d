// Extended attributes. The f*xattr calls refuse O_PATH descriptors, so they go through
// the descriptor's magic link /proc/self/fd/N, which reaches the pinned inode itself
// (for a symlink: the link, not its target).
#include <sys/xattr.h>

#include <cerrno>
#include <memory>

#include "file_system.hpp"
#include "proc_self.hpp"

namespace cntrfs {

void FileSystem::setxattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value,
                          size_t size, int flags) {
    if (config_.read_only) return reply_errno(req, EROFS);
    ProcFdPath path(inodes_.get(ino).fd.get());
    int res = ::setxattr(path.c_str(), name, value, size, flags);
    fuse_reply_err(req, res == 0 ? 0 : errno);
}

void FileSystem::getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
    ProcFdPath path(inodes_.get(ino).fd.get());
    if (size == 0) {  // the caller asks for the size only
        ssize_t n = ::getxattr(path.c_str(), name, nullptr, 0);
        if (n < 0) return reply_errno(req, errno);
        fuse_reply_xattr(req, static_cast<size_t>(n));
        return;
    }
    auto buf = std::make_unique_for_overwrite<char[]>(size);
    ssize_t n = ::getxattr(path.c_str(), name, buf.get(), size);
    if (n < 0) return reply_errno(req, errno);
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
    ProcFdPath path(inodes_.get(ino).fd.get());
    int res = ::removexattr(path.c_str(), name);
    fuse_reply_err(req, res == 0 ? 0 : errno);
}

}  // namespace cntrfs
