// FileSystem: the state of one CNTRFS mount and its FUSE low-level operations.
//
// One object owns everything (the inode table, the configuration); libfuse hands it back
// to every callback through fuse_req_userdata(), so there are no globals. The operations
// are grouped by concern:
//   fs_init.cpp     init: which kernel features we ask for, each with its reason
//   fs_entries.cpp  names and attributes: lookup, forget, getattr, setattr, readlink,
//                   mknod, mkdir, symlink, link, unlink, rmdir, rename, statfs
//   fs_files.cpp    open files: open, create, read, write_buf, release, fsync,
//                   fallocate, lseek, copy_file_range, flock
//   fs_dirs.cpp     directory handles: opendir, readdir, readdirplus, releasedir, fsyncdir
//   fs_xattr.cpp    extended attributes
//   fuse_ops.cpp    the fuse_lowlevel_ops table that calls into this class
//
// Rules every operation follows:
//   - Work on descriptors only: openat(parent_fd, name, O_PATH | O_NOFOLLOW),
//     fstatat(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW), /proc/self/fd/N for what
//     O_PATH descriptors cannot do. No path string of the served tree is ever resolved
//     on the host, and no symlink of it is ever followed.
//   - Reply exactly once, as the last thing the operation does.
//   - Open files and directories are handles that own their descriptor (fi->fh), so
//     release/releasedir never touch the Inode (see inode_table.hpp for why).
#pragma once

#include <fuse_lowlevel.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>

#include "device_io.hpp"
#include "fd.hpp"
#include "inode_table.hpp"
#include "options.hpp"
#include "passthrough.hpp"

namespace cntrfs {

struct DirHandle;  // fs_dirs.cpp

// The backing descriptor of a file handle: fi->fh's low 32 bits (fs_files.cpp says what
// the bits above carry).
inline int fh_of(const fuse_file_info* fi) { return static_cast<int>(fi->fh & 0xffffffffU); }

class FileSystem {
  public:
    FileSystem(cntr::Fd root, FsConfig config);

    // The operations table for fuse_session_new(); its userdata must be this object.
    static fuse_lowlevel_ops operations(const FsConfig& config);

    [[nodiscard]] InodeTable& inodes() { return inodes_; }
    [[nodiscard]] const FsConfig& config() const { return config_; }

    void init(fuse_conn_info* conn);
    // The session and its /dev/fuse descriptor, once it has one (passthrough registers
    // there; attribute invalidations are sent there).
    void set_session(fuse_session* se, int fd) {
        session_.store(se);
        passthrough_.set_device(fd);
    }

    // fs_entries.cpp
    void lookup(fuse_req_t req, fuse_ino_t parent, const char* name);
    void forget(fuse_ino_t ino, uint64_t nlookup);
    void getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
    void setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int valid, fuse_file_info* fi);
    void readlink(fuse_req_t req, fuse_ino_t ino);
    void mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev);
    void mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode);
    void symlink(fuse_req_t req, const char* link, fuse_ino_t parent, const char* name);
    void link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char* newname);
    void unlink(fuse_req_t req, fuse_ino_t parent, const char* name);
    void rmdir(fuse_req_t req, fuse_ino_t parent, const char* name);
    void rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent,
                const char* newname, unsigned int flags);
    void statfs(fuse_req_t req, fuse_ino_t ino);

    // fs_files.cpp
    void open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
    void create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
                fuse_file_info* fi);
    void read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi);
    void write_buf(fuse_req_t req, fuse_ino_t ino, fuse_bufvec* in, off_t off, fuse_file_info* fi);
    void release(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
    void fsync(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi);
    void fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
                   fuse_file_info* fi);
    void lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence, fuse_file_info* fi);
    void copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in, fuse_file_info* fi_in,
                         fuse_ino_t ino_out, off_t off_out, fuse_file_info* fi_out, size_t len,
                         int flags);
    void flock(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi, int op);

    // fs_dirs.cpp
    void opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
    void readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi,
                 bool plus);
    void releasedir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
    void fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi);

    // fs_xattr.cpp
    void setxattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size,
                  int flags);
    void getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size);
    void listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
    void removexattr(fuse_req_t req, fuse_ino_t ino, const char* name);

  private:
    // Looks `name` up in the directory `dirfd` and fills `e` (one more reference counted
    // on success). Returns 0 or an errno value.
    int lookup_at(int dirfd, const char* name, fuse_entry_param& e);
    // Whether `fd` is the root of our own mount (see InodeTable::set_self_dev).
    bool is_own_mount(int fd);
    // The same for a file we already hold an O_PATH descriptor of; `remembered`, if
    // given, gets its Inode.
    int remember_entry(cntr::Fd fd, fuse_entry_param& e, Inode** remembered = nullptr);
    // mknod, mkdir and symlink: creates as the caller, then replies with the new entry.
    void make_node(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev,
                   const char* link);
    // Turns a backing stat of `inode` into what the mount reports (inode number, owner).
    void present(const Inode& inode, struct stat& st) const;
    // Sets direct_io/keep_cache on a file handle about to be returned by open/create.
    void set_open_flags(const Inode& inode, fuse_file_info* fi) const;
    // Replies to OPEN/CREATE with the handle `file` of node `node` (`e`: CREATE's entry),
    // through passthrough when it can; the handle is the kernel's once the reply is sent.
    void reply_opened(fuse_req_t req, const Inode& inode, cntr::Fd file, fuse_file_info* fi,
                      const fuse_entry_param* e);
    [[nodiscard]] int copy_flags() const;  // fuse_buf_copy_flags for read/write
    // Opens `inode`'s directory stream into `handle`; 0 or an errno value.
    int open_dir(const Inode& inode, DirHandle& handle);
    // Returns open()'s descriptor (or -1 with errno). One that fails with EMFILE is tried
    // again each time the inode pruner (cache_pruner.hpp) got a descriptor closed - when
    // the kernel caches nodes faster than it is asked to drop them (a find over a big
    // tree). Another thread may take that descriptor first, hence the loop. Each wait is
    // bounded (kRoomWait): the FORGETs that free descriptors may need this very thread
    // (--threads 1); so is the whole (kRoomDeadline).
    template <typename Open>
    int open_with_room(Open open) {
        const auto deadline = std::chrono::steady_clock::now() + kRoomDeadline;
        for (;;) {
            int fd = open();
            if (fd >= 0 || errno != EMFILE) return fd;
            if (std::chrono::steady_clock::now() >= deadline || !inodes_.wait_for_room(kRoomWait))
                break;
        }
        errno = EMFILE;
        return -1;
    }
    static constexpr std::chrono::milliseconds kRoomWait{500};
    static constexpr std::chrono::seconds kRoomDeadline{3};
    // Replies to READDIR(PLUS) with the entries of `d` from offset `off` on.
    void list_dir(fuse_req_t req, DirHandle& d, size_t size, off_t off, bool plus);
    // After a write or truncating open by `req`'s caller through `fd`: clears the file's
    // set-id bits as a local file system would (credentials.hpp) and, if it did, tells
    // the kernel its cached mode of `ino` is stale (the reply carries no attributes, and
    // exec and permission checks would go on using the old mode).
    void after_write(fuse_req_t req, fuse_ino_t ino, int fd);

    // Replies with `err`, and says so (once a minute) when it is the descriptor limit.
    void reply_errno(fuse_req_t req, int err);

    FsConfig config_;
    InodeTable inodes_;
    PassthroughFiles passthrough_;
    std::atomic<fuse_session*> session_{nullptr};
    std::atomic<bool> no_opendir_{false};            // the kernel opens directories without us
    ReplyPatch init_patch_{ReplyPatch::Kind::init};  // what INIT adds (fs_init.cpp)
    std::atomic<int64_t> last_fd_warning_{0};        // steady_clock ticks
};

}  // namespace cntrfs
