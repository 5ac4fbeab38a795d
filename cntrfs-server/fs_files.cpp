// Open files. A file handle (fi->fh) is a descriptor of its own, opened by re-opening
// the Inode's O_PATH descriptor through /proc/self/fd/N with the caller's flags, so each
// FUSE open is one open file description on the backing file: offsets, O_APPEND and
// flock(2) locks behave as they would natively. With passthrough (passthrough.hpp) the
// kernel reads and writes the backing file itself; otherwise data moves with
// fuse_reply_data and fuse_buf_copy on the descriptor, which lets libfuse splice instead
// of copying.
//
// fi->fh is the descriptor in its low 32 bits; bits 32 and 33 say whether the open was
// granted passthrough and whether it is counted in PassthroughFiles, for release.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "credentials.hpp"
#include "file_system.hpp"
#include "lock_wait.hpp"
#include "proc_self.hpp"

namespace cntrfs {
namespace {

bool opens_for_writing(int flags) {
    return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC) != 0;
}

// A one-element buffer vector describing `size` bytes of `fd` at `pos`.
fuse_bufvec fd_bufvec(int fd, size_t size, off_t pos) {
    fuse_bufvec v{};
    v.count = 1;
    v.buf[0].size = size;
    v.buf[0].flags = static_cast<fuse_buf_flags>(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
    v.buf[0].fd = fd;
    v.buf[0].pos = pos;
    return v;
}

constexpr uint64_t kPassthroughBit = 1ULL << 32;  // granted passthrough
constexpr uint64_t kCountedBit = 1ULL << 33;      // counted in PassthroughFiles

}  // namespace

int FileSystem::copy_flags() const {
    return config_.features.splice ? FUSE_BUF_SPLICE_MOVE : FUSE_BUF_NO_SPLICE;
}

void FileSystem::set_open_flags(const Inode& inode, fuse_file_info* fi) const {
    // O_DIRECT is not passed to the backing file (our buffers are not aligned for it);
    // bypassing the FUSE page cache gives the caller the semantics it asked for.
    // Generated files (procfs, sysfs) report sizes that are wrong, so the page cache
    // would cut their reads short.
    fi->direct_io = inode.pseudo_fs || (fi->flags & O_DIRECT) != 0;
    fi->keep_cache = config_.features.keep_cache && !fi->direct_io;
}

void FileSystem::open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    const Inode& inode = inodes_.get(ino);
    int flags = fi->flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_NOFOLLOW | O_DIRECT);
    if (config_.read_only && opens_for_writing(flags)) return reply_errno(req, EROFS);
    if (config_.features.writeback_cache) {
        // The kernel then reads pages of write-only files and handles O_APPEND itself.
        if ((flags & O_ACCMODE) == O_WRONLY) flags = (flags & ~O_ACCMODE) | O_RDWR;
        flags &= ~O_APPEND;
    }
    cntr::Fd file(::open(ProcFdPath(inode.fd.get()).c_str(), flags | O_CLOEXEC));
    if (!file) return reply_errno(req, errno);
    // A truncating open is a write (FUSE_CAP_ATOMIC_O_TRUNC: the kernel sends no SETATTR).
    if ((flags & O_TRUNC) != 0) after_write(req, ino, file.get());
    reply_opened(req, inode, std::move(file), fi, nullptr);
}

void FileSystem::reply_opened(fuse_req_t req, const Inode& inode, cntr::Fd file, fuse_file_info* fi,
                              const fuse_entry_param* e) {
    fi->fh = static_cast<uint64_t>(file.get());
    set_open_flags(inode, fi);
    // Generated files (pseudo_fs) keep direct_io: their sizes lie, and the backing file
    // would be read the same way. They never conflict with passthrough opens.
    bool counted = false;
    int32_t backing_id = 0;
    if (!inode.pseudo_fs && passthrough_.enabled()) {
        struct stat st {};
        if (::fstat(file.get(), &st) == 0 && S_ISREG(st.st_mode)) {
            backing_id = passthrough_.open(inode.id, file.get(), (st.st_mode & 06000) != 0);
            counted = true;
            fi->fh |= kCountedBit;
        }
    }
    ReplyPatch patch{ReplyPatch::Kind::open};
    std::optional<ScopedReplyPatch> armed;
    if (backing_id > 0) {
        // O_DIRECT reaches the backing file as the caller asked, alignment rules included.
        // The kernel refuses passthrough together with FOPEN_KEEP_CACHE (the open fails
        // with EIO), and there are no pages of ours to keep anyway.
        fi->direct_io = false;
        fi->keep_cache = false;
        fi->fh |= kPassthroughBit;
        patch.fh = fi->fh;
        patch.backing_id = backing_id;
        armed.emplace(patch);
    }
    int sent = e != nullptr ? fuse_reply_create(req, e, fi) : fuse_reply_open(req, fi);
    if (sent == 0) {
        file.release();  // the handle is the kernel's now
        return;
    }
    if (counted) passthrough_.release(inode.id, backing_id > 0);
    if (e != nullptr) inodes_.forget(e->ino, 1);  // the kernel never saw the entry
}

void FileSystem::create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
                        fuse_file_info* fi) {
    if (config_.read_only) return reply_errno(req, EROFS);
    const int dirfd = inodes_.get(parent).fd.get();
    // O_NOFOLLOW: the kernel only sends CREATE for a name it saw absent; if a symlink
    // appeared there meanwhile, following it could leave the served tree.
    int flags = (fi->flags | O_CREAT | O_NOFOLLOW | O_CLOEXEC) & ~(O_NOCTTY | O_DIRECT);
    if (config_.features.writeback_cache) {
        if ((flags & O_ACCMODE) == O_WRONLY) flags = (flags & ~O_ACCMODE) | O_RDWR;
        flags &= ~O_APPEND;
    }
    cntr::Fd file;
    {
        RequestCredentials creds(req, config_);
        if (creds.error() != 0) return reply_errno(req, creds.error());
        file.reset(::openat(dirfd, name, flags, mode));
        if (!file && (errno == EACCES || errno == EPERM) && creds.add_supplementary_groups()) {
            file.reset(::openat(dirfd, name, flags, mode));
        }
        if (!file) return reply_errno(req, errno);
        if (int err = creds.chown_new(file.get(), nullptr); err != 0) return reply_errno(req, err);
    }
    // The entry is taken from the created file itself, not by looking the name up again.
    cntr::Fd path_fd(::open(ProcFdPath(file.get()).c_str(), O_PATH | O_CLOEXEC));
    if (!path_fd) return reply_errno(req, errno);
    fuse_entry_param e;
    Inode* inode = nullptr;
    if (int err = remember_entry(std::move(path_fd), e, &inode); err != 0) {
        return reply_errno(req, err);
    }
    reply_opened(req, *inode, std::move(file), fi, &e);
}

void FileSystem::read(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
    fuse_bufvec buf = fd_bufvec(fh_of(fi), size, off);
    fuse_reply_data(req, &buf, static_cast<fuse_buf_copy_flags>(copy_flags()));
}

void FileSystem::write_buf(fuse_req_t req, fuse_ino_t ino, fuse_bufvec* in, off_t off,
                           fuse_file_info* fi) {
    fuse_bufvec out = fd_bufvec(fh_of(fi), fuse_buf_size(in), off);
    ssize_t n = fuse_buf_copy(&out, in, static_cast<fuse_buf_copy_flags>(copy_flags()));
    if (n < 0) return reply_errno(req, static_cast<int>(-n));
    after_write(req, ino, fh_of(fi));
    fuse_reply_write(req, static_cast<size_t>(n));
}

void FileSystem::after_write(fuse_req_t req, fuse_ino_t ino, int fd) {
    if (!drop_setid_bits(req, config_, fd)) return;
    // Attributes only (offset < 0): no page is dropped and no lock is taken, so this
    // is safe while the kernel waits for the reply to this very request.
    if (fuse_session* se = session_.load(); se != nullptr) {
        fuse_lowlevel_notify_inval_inode(se, ino, -1, 0);
    }
}

void FileSystem::release(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    // Closed before replying: flock locks of this open go away with it, and whoever
    // waits for the close (another process's flock) must find them gone.
    cntr::Fd(fh_of(fi)).reset();
    // The node id is only a key here (the Inode may be forgotten already).
    if ((fi->fh & kCountedBit) != 0) passthrough_.release(ino, (fi->fh & kPassthroughBit) != 0);
    fuse_reply_err(req, 0);
}

void FileSystem::fsync(fuse_req_t req, fuse_ino_t, int datasync, fuse_file_info* fi) {
    int res = datasync != 0 ? ::fdatasync(fh_of(fi)) : ::fsync(fh_of(fi));
    fuse_reply_err(req, res == 0 ? 0 : errno);
}

void FileSystem::fallocate(fuse_req_t req, fuse_ino_t, int mode, off_t offset, off_t length,
                           fuse_file_info* fi) {
    if (config_.read_only) return reply_errno(req, EROFS);
    int res = ::fallocate(fh_of(fi), mode, offset, length);
    fuse_reply_err(req, res == 0 ? 0 : errno);
}

void FileSystem::lseek(fuse_req_t req, fuse_ino_t, off_t off, int whence, fuse_file_info* fi) {
    // Only SEEK_DATA/SEEK_HOLE reach us; reads and writes use explicit offsets, so moving
    // the handle's offset here is harmless.
    off_t res = ::lseek(fh_of(fi), off, whence);
    if (res < 0) return reply_errno(req, errno);
    fuse_reply_lseek(req, res);
}

void FileSystem::copy_file_range(fuse_req_t req, fuse_ino_t, off_t off_in, fuse_file_info* fi_in,
                                 fuse_ino_t, off_t off_out, fuse_file_info* fi_out, size_t len,
                                 int flags) {
    if (config_.read_only) return reply_errno(req, EROFS);
    // EXDEV/EOPNOTSUPP make the kernel fall back to copying through the page cache.
    ssize_t n = ::copy_file_range(fh_of(fi_in), &off_in, fh_of(fi_out), &off_out, len,
                                  static_cast<unsigned>(flags));
    if (n < 0) return reply_errno(req, errno);
    fuse_reply_write(req, static_cast<size_t>(n));
}

void FileSystem::flock(fuse_req_t req, fuse_ino_t, fuse_file_info* fi, int op) {
    // flock locks belong to open file descriptions, and each FUSE open is one of ours:
    // the semantics carry over exactly, and host processes see the locks too.
    if ((op & (LOCK_NB | LOCK_UN)) != 0) {
        int res = ::flock(fh_of(fi), op);
        fuse_reply_err(req, res == 0 ? 0 : errno);
        return;
    }
    // A waiting lock ends when the caller is interrupted (FUSE_INTERRUPT) or the mount
    // goes away (lock_wait.hpp).
    fuse_reply_err(req, wait_for_flock(fh_of(fi), op, [this, req] {
                       fuse_session* se = session_.load();
                       return fuse_req_interrupted(req) != 0 ||
                              (se != nullptr && fuse_session_exited(se) != 0);
                   }));
}

}  // namespace cntrfs
