// FUSE_INIT: which kernel features CNTRFS asks for, each with its reason. The switchable
// ones follow Features (options.hpp) so that benchmarks can measure them one by one.
#include <cerrno>
#include <chrono>

#include "file_system.hpp"
#include "kernel_abi.hpp"
#include "log.hpp"

namespace cntrfs {

FileSystem::FileSystem(cntr::Fd root, FsConfig config)
    : config_(std::move(config)),
      inodes_(std::move(root)),
      passthrough_(config_.features.passthrough) {}

void FileSystem::reply_errno(fuse_req_t req, int err) {
    if (err == EMFILE || err == ENFILE) {
        // Said once a minute at most: when it happens, it happens for every request.
        using Clock = std::chrono::steady_clock;
        Clock::rep now = Clock::now().time_since_epoch().count();
        Clock::rep last = last_fd_warning_.load();
        auto minute = std::chrono::duration_cast<Clock::duration>(std::chrono::minutes(1));
        if ((last == 0 || now - last > minute.count()) &&
            last_fd_warning_.compare_exchange_strong(last, now)) {
            cntr::log::error(
                "out of file descriptors: every inode the kernel caches holds one; raise the "
                "hard limit (ulimit -Hn, fs.nr_open) or drop caches "
                "(echo 2 > /proc/sys/vm/drop_caches)");
        }
    }
    fuse_reply_err(req, err);
}

void FileSystem::init(fuse_conn_info* conn) {
    const Features& f = config_.features;
    // Asks for `cap` if the kernel offers it and `on`, and makes sure it is off otherwise
    // (libfuse turns some on by default).
    auto want = [conn](unsigned cap, bool on) {
        if (on && (conn->capable & cap) != 0) {
            conn->want |= cap;
        } else {
            conn->want &= ~cap;
        }
    };
    // Node ids name entries of our in-memory table; they cannot be rebuilt from a file
    // handle after a restart.
    want(FUSE_CAP_EXPORT_SUPPORT, false);
    // ls -l and shell completion stat every entry: one READDIRPLUS replaces N LOOKUPs.
    // _AUTO: the kernel uses it for the first listing of a directory and when
    // entries are looked up after a listing, plain READDIR otherwise.
    want(FUSE_CAP_READDIRPLUS, f.readdirplus);
    want(FUSE_CAP_READDIRPLUS_AUTO, f.readdirplus);
    // Lookups and listings of one directory need no serialization: we work on fds.
    want(FUSE_CAP_PARALLEL_DIROPS, f.parallel_dirops);
    // Read-ahead may overlap with the reads of the caller.
    want(FUSE_CAP_ASYNC_READ, f.async_read);
    // Data moves between the backing file and /dev/fuse through a pipe, without copies.
    want(FUSE_CAP_SPLICE_READ, f.splice);
    want(FUSE_CAP_SPLICE_WRITE, f.splice);
    want(FUSE_CAP_SPLICE_MOVE, f.splice);
    // Off by default: with it the kernel computes O_APPEND offsets and file sizes from
    // its cache, which is wrong as soon as the backing file changes behind the mount.
    want(FUSE_CAP_WRITEBACK_CACHE, f.writeback_cache);
    // open(O_TRUNC) in one request instead of OPEN + SETATTR.
    want(FUSE_CAP_ATOMIC_O_TRUNC, true);
    // flock(2) on our per-open descriptors has exactly flock's semantics (fs_files.cpp).
    want(FUSE_CAP_FLOCK_LOCKS, true);
    // POSIX locks belong to processes; all requests come from our one process, so
    // passing them through would lose the owner. The kernel's local locking is right for
    // every process using the mount.
    want(FUSE_CAP_POSIX_LOCKS, false);
    // Directories opened without OPENDIR/RELEASEDIR round trips, their listings cached
    // (fs_dirs.cpp): only for roots nothing changes behind, as keep-cache says.
    want(FUSE_CAP_NO_OPENDIR_SUPPORT, f.keep_cache);
    // Symlink targets in the page cache: no READLINK per path walk through a link. Off
    // by default because /proc/self must answer differently per caller (proc_self.hpp);
    // on for roots without a /proc (images, benchmarks).
    want(FUSE_CAP_CACHE_SYMLINKS, f.cache_symlinks);
    // Files changed behind the mount drop their cached pages when their mtime changes.
    want(FUSE_CAP_AUTO_INVAL_DATA, true);
    // Version 1 off (libfuse turns it on): it would not spare a single request.
    // Version 2 (libfuse 3.14 cannot ask for it; added to the reply below): the server
    // clears set-id bits on writes, truncates and chown (credentials.hpp,
    // drop_setid_bits), and in return the kernel marks the super block SB_NOSEC: after
    // one security.capability query finds nothing, the inode is S_NOSEC and further
    // writes go out without asking again (file_remove_privs). Without it every write(2)
    // costs a GETXATTR round trip - the overhead the CNTR paper measured in apache and
    // iozone - and every chown a GETATTR.
    want(FUSE_CAP_HANDLE_KILLPRIV, false);
    if (f.handle_killpriv) init_patch_.init_flags |= kabi::kHandleKillprivV2;
    // The kernel evaluates POSIX ACLs in its permission checks (default_permissions
    // alone ignores them) and leaves the umask to us: with a default ACL on the parent,
    // a local file system ignores the umask, so the backing one must see the caller's
    // umask and the unmasked mode (credentials.hpp).
    want(FUSE_CAP_POSIX_ACL, true);
    want(FUSE_CAP_DONT_MASK, true);
    // Request size: conn->max_write defaults to libfuse's most, what its receive buffer
    // holds (1 MiB = 256 pages, sent to the kernel as max_pages, which also caps reads);
    // --max-write lowers it for measurement. Read-ahead: the kernel's default unless
    // --max-readahead is given.
    if (config_.max_write != 0 && config_.max_write < conn->max_write) {
        conn->max_write = config_.max_write;
    }
    if (config_.max_readahead != 0) conn->max_readahead = config_.max_readahead;
    // Passthrough (Linux 6.9+; libfuse 3.14 cannot ask for it, device_io.hpp adds it to
    // the reply libfuse is about to send): file data moves between the caller and the
    // backing file inside the kernel, without READ/WRITE requests. The kernel refuses it
    // together with the writeback cache, which main.cpp therefore makes exclusive.
    if (passthrough_.enabled()) {
        init_patch_.init_flags |= kabi::kPassthrough;
        init_patch_.max_stack_depth = kabi::kMaxStackDepth;
    }
    // Requests on per-CPU io_uring queues (uring_transport.hpp); the queue threads
    // register once this reply is out.
    if (f.io_uring) init_patch_.init_flags |= kabi::kOverIoUring;
    if (init_patch_.init_flags != 0) arm_next_reply(init_patch_);
    no_opendir_.store((conn->want & FUSE_CAP_NO_OPENDIR_SUPPORT) != 0);
    cntr::log::debug("init: kernel protocol {}.{}, want 0x{:x}, max_write {}", conn->proto_major,
                     conn->proto_minor, conn->want, conn->max_write);
}

}  // namespace cntrfs
