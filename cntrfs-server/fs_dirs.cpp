// Directory handles and listing.
//
// opendir opens the directory (O_RDONLY, relative to the Inode's O_PATH descriptor) into
// a DirHandle that fi->fh points to: std::unique_ptr::release() hands it to the kernel,
// releasedir adopts it back. Listing reads the stream with readdir(3) and follows the
// kernel's offsets with seekdir(3) when they differ from the stream position (the
// kernel restarts at the last entry that fit).
//
// With --keep-cache (a root nothing changes behind) there are no directory handles: the
// server answers the first OPENDIR with ENOSYS under FUSE_CAP_NO_OPENDIR_SUPPORT, and the
// kernel then opens directories without asking (no OPENDIR/RELEASEDIR round trips - 40%
// of dbench's requests) and caches their listings (FOPEN_CACHE_DIR, as keep-cache asked
// for anyway). READDIR then comes with fh 0 and opens the directory for the one call,
// seeking to the kernel's offset: d_off values are cookies meant for exactly that.
//
// readdirplus looks every entry up so the kernel gets attributes with the names. An
// entry that cannot be looked up - typical in /proc, where a process exits between
// getdents and openat - is still listed, without attributes (node id 0 tells the kernel
// to skip it), so one vanished entry never truncates or fails a listing.
//
// Lock order: DirHandle::mutex -> InodeTable::mutex_ (lookups run under the former).
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <mutex>

#include "file_system.hpp"

namespace cntrfs {

struct DirCloser {
    void operator()(DIR* dir) const { ::closedir(dir); }
};

struct DirHandle {
    std::unique_ptr<DIR, DirCloser> dir;
    uint64_t ino_tag = 0;  // the directory's device tag, for entries' inode numbers
    std::mutex mutex;      // serializes listing; taken before InodeTable::mutex_
    off_t offset = 0;      // position of `dir`, guarded by mutex
};

namespace {

// fi->fh is the DirHandle opendir gave the kernel (its address, the kernel's to keep).
DirHandle& handle_of(const fuse_file_info* fi) {
    return *reinterpret_cast<DirHandle*>(fi->fh);  // NOLINT(performance-no-int-to-ptr)
}

bool is_dot_or_dotdot(const char* name) {
    return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

}  // namespace

int FileSystem::open_dir(const Inode& inode, DirHandle& handle) {
    int fd = open_with_room(
        [&] { return ::openat(inode.fd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC); });
    if (fd < 0) return errno;
    handle.dir.reset(::fdopendir(fd));
    if (!handle.dir) {
        int err = errno;
        ::close(fd);
        return err;
    }
    handle.ino_tag = inode.ino_tag;
    return 0;
}

void FileSystem::opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    if (no_opendir_.load()) return reply_errno(req, ENOSYS);  // see the top of this file
    const Inode& inode = inodes_.get(ino);
    auto handle = std::make_unique<DirHandle>();
    if (int err = open_dir(inode, *handle); err != 0) return reply_errno(req, err);
    fi->fh = reinterpret_cast<uint64_t>(handle.get());
    fi->keep_cache = config_.features.keep_cache;
    fi->cache_readdir = config_.features.keep_cache;
    // The kernel's until releasedir.
    if (fuse_reply_open(req, fi) == 0) static_cast<void>(handle.release());
}

void FileSystem::readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi,
                         bool plus) {
    if (fi->fh != 0) return list_dir(req, handle_of(fi), size, off, plus);
    DirHandle once;  // no OPENDIR: this call's own stream
    if (int err = open_dir(inodes_.get(ino), once); err != 0) return reply_errno(req, err);
    list_dir(req, once, size, off, plus);
}

void FileSystem::list_dir(fuse_req_t req, DirHandle& d, size_t size, off_t off, bool plus) {
    auto buf = std::make_unique_for_overwrite<char[]>(size);
    size_t used = 0;
    int err = 0;
    {
        // The lock must be released before the reply: once the kernel has the reply, the
        // caller may close the directory and RELEASEDIR (another thread) frees `d` with
        // its mutex. Unlocking after replying corrupted the heap under load.
        std::lock_guard lock(d.mutex);
        if (off != d.offset) {
            ::seekdir(d.dir.get(), off);
            d.offset = off;
        }
        for (;;) {
            errno = 0;
            dirent* ent = ::readdir(d.dir.get());
            if (ent == nullptr) {
                err = errno;
                break;
            }
            d.offset = ent->d_off;

            fuse_entry_param e{};
            bool looked_up = false;
            if (plus && !is_dot_or_dotdot(ent->d_name)) {
                looked_up = lookup_at(::dirfd(d.dir.get()), ent->d_name, e) == 0;
            }
            if (!looked_up) {
                e = fuse_entry_param{};
                e.attr.st_ino = ent->d_ino ^ d.ino_tag;
                e.attr.st_mode = DTTOIF(ent->d_type);
            }
            char* p = buf.get() + used;
            size_t room = size - used;
            size_t entsize =
                plus ? fuse_add_direntry_plus(req, p, room, ent->d_name, &e, ent->d_off)
                     : fuse_add_direntry(req, p, room, ent->d_name, &e.attr, ent->d_off);
            if (entsize > room) {
                // Did not fit: the kernel asks again from the last offset we returned.
                if (looked_up) inodes_.forget(e.ino, 1);
                break;
            }
            used += entsize;
        }
    }
    // An error after some entries is dropped: those entries were counted as looked up,
    // and the kernel asks for the rest again.
    if (err != 0 && used == 0) return reply_errno(req, err);
    fuse_reply_buf(req, buf.get(), used);
}

void FileSystem::releasedir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
    if (fi->fh != 0) std::unique_ptr<DirHandle>(&handle_of(fi)).reset();  // closes the stream
    fuse_reply_err(req, 0);
}

void FileSystem::fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi) {
    auto sync = [&](DirHandle& d) {
        int fd = ::dirfd(d.dir.get());
        int res = datasync != 0 ? ::fdatasync(fd) : ::fsync(fd);
        fuse_reply_err(req, res == 0 ? 0 : errno);
    };
    if (fi->fh != 0) return sync(handle_of(fi));
    DirHandle once;  // no OPENDIR: this call's own stream
    if (int err = open_dir(inodes_.get(ino), once); err != 0) return reply_errno(req, err);
    sync(once);
}

}  // namespace cntrfs
