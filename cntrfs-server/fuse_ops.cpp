// The fuse_lowlevel_ops table: C callbacks that find the FileSystem through
// fuse_req_userdata() and call its member. This is the one place where exceptions meet
// libfuse: an operation replies as its last action, so anything thrown (only allocation
// failures are expected) happened before any reply and becomes an error reply here.
#include <exception>
#include <new>

#include "error.hpp"
#include "file_system.hpp"
#include "log.hpp"

namespace cntrfs {
namespace {

FileSystem& fs_of(fuse_req_t req) { return *static_cast<FileSystem*>(fuse_req_userdata(req)); }

// Calls `Method` on the request's FileSystem, turning exceptions into error replies.
template <auto Method, typename... Args>
void call(fuse_req_t req, Args... args) {
    try {
        (fs_of(req).*Method)(req, args...);
    } catch (const std::bad_alloc&) {
        fuse_reply_err(req, ENOMEM);
    } catch (const cntr::SysError& e) {
        fuse_reply_err(req, e.code());
    } catch (const std::exception& e) {
        cntr::log::error("internal error: {}", e.what());
        fuse_reply_err(req, EIO);
    }
}

template <typename F>
void no_throw(const char* what, F&& f) noexcept {
    try {
        f();
    } catch (const std::exception& e) {
        cntr::log::error("internal error in {}: {}", what, e.what());
    }
}

void readdir_plain(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
    call<&FileSystem::readdir>(req, ino, size, off, fi, false);
}
void readdir_plus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
    call<&FileSystem::readdir>(req, ino, size, off, fi, true);
}

}  // namespace

fuse_lowlevel_ops FileSystem::operations(const FsConfig& config) {
    fuse_lowlevel_ops ops{};
    // init and forget have no error reply; an exception must still not unwind into C.
    ops.init = [](void* userdata, fuse_conn_info* conn) {
        no_throw("init", [&] { static_cast<FileSystem*>(userdata)->init(conn); });
    };
    ops.forget = [](fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
        no_throw("forget", [&] { fs_of(req).forget(ino, nlookup); });
        fuse_reply_none(req);
    };
    ops.forget_multi = [](fuse_req_t req, size_t count, fuse_forget_data* forgets) {
        FileSystem& fs = fs_of(req);
        for (size_t i = 0; i < count; ++i) {
            no_throw("forget", [&] { fs.forget(forgets[i].ino, forgets[i].nlookup); });
        }
        fuse_reply_none(req);
    };
    // Without forget_multi libfuse answers FUSE_BATCH_FORGET itself by calling forget
    // once per entry; clearing it measures what batching saves.
    if (!config.features.batch_forget) ops.forget_multi = nullptr;
    ops.lookup = [](fuse_req_t req, fuse_ino_t parent, const char* name) {
        call<&FileSystem::lookup>(req, parent, name);
    };
    ops.getattr = [](fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
        call<&FileSystem::getattr>(req, ino, fi);
    };
    ops.setattr = [](fuse_req_t req, fuse_ino_t ino, struct stat* attr, int valid,
                     fuse_file_info* fi) { call<&FileSystem::setattr>(req, ino, attr, valid, fi); };
    ops.readlink = [](fuse_req_t req, fuse_ino_t ino) { call<&FileSystem::readlink>(req, ino); };
    ops.mknod = [](fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev) {
        call<&FileSystem::mknod>(req, parent, name, mode, rdev);
    };
    ops.mkdir = [](fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
        call<&FileSystem::mkdir>(req, parent, name, mode);
    };
    ops.symlink = [](fuse_req_t req, const char* link, fuse_ino_t parent, const char* name) {
        call<&FileSystem::symlink>(req, link, parent, name);
    };
    ops.link = [](fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char* newname) {
        call<&FileSystem::link>(req, ino, newparent, newname);
    };
    ops.unlink = [](fuse_req_t req, fuse_ino_t parent, const char* name) {
        call<&FileSystem::unlink>(req, parent, name);
    };
    ops.rmdir = [](fuse_req_t req, fuse_ino_t parent, const char* name) {
        call<&FileSystem::rmdir>(req, parent, name);
    };
    ops.rename = [](fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent,
                    const char* newname, unsigned int flags) {
        call<&FileSystem::rename>(req, parent, name, newparent, newname, flags);
    };
    ops.statfs = [](fuse_req_t req, fuse_ino_t ino) { call<&FileSystem::statfs>(req, ino); };

    ops.open = [](fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
        call<&FileSystem::open>(req, ino, fi);
    };
    ops.create = [](fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
                    fuse_file_info* fi) { call<&FileSystem::create>(req, parent, name, mode, fi); };
    ops.read = [](fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
        call<&FileSystem::read>(req, ino, size, off, fi);
    };
    ops.write_buf = [](fuse_req_t req, fuse_ino_t ino, fuse_bufvec* in, off_t off,
                       fuse_file_info* fi) { call<&FileSystem::write_buf>(req, ino, in, off, fi); };
    ops.release = [](fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
        call<&FileSystem::release>(req, ino, fi);
    };
    ops.fsync = [](fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi) {
        call<&FileSystem::fsync>(req, ino, datasync, fi);
    };
    ops.fallocate = [](fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
                       fuse_file_info* fi) {
        call<&FileSystem::fallocate>(req, ino, mode, offset, length, fi);
    };
    ops.lseek = [](fuse_req_t req, fuse_ino_t ino, off_t off, int whence, fuse_file_info* fi) {
        call<&FileSystem::lseek>(req, ino, off, whence, fi);
    };
    ops.copy_file_range = [](fuse_req_t req, fuse_ino_t ino_in, off_t off_in, fuse_file_info* fi_in,
                             fuse_ino_t ino_out, off_t off_out, fuse_file_info* fi_out, size_t len,
                             int flags) {
        call<&FileSystem::copy_file_range>(req, ino_in, off_in, fi_in, ino_out, off_out, fi_out,
                                           len, flags);
    };
    ops.flock = [](fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi, int op) {
        call<&FileSystem::flock>(req, ino, fi, op);
    };

    ops.opendir = [](fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
        call<&FileSystem::opendir>(req, ino, fi);
    };
    ops.readdir = readdir_plain;
    ops.readdirplus = readdir_plus;
    ops.releasedir = [](fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
        call<&FileSystem::releasedir>(req, ino, fi);
    };
    ops.fsyncdir = [](fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi) {
        call<&FileSystem::fsyncdir>(req, ino, datasync, fi);
    };

    ops.setxattr = [](fuse_req_t req, fuse_ino_t ino, const char* name, const char* value,
                      size_t size, int flags) {
        call<&FileSystem::setxattr>(req, ino, name, value, size, flags);
    };
    ops.getxattr = [](fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
        call<&FileSystem::getxattr>(req, ino, name, size);
    };
    ops.listxattr = [](fuse_req_t req, fuse_ino_t ino, size_t size) {
        call<&FileSystem::listxattr>(req, ino, size);
    };
    ops.removexattr = [](fuse_req_t req, fuse_ino_t ino, const char* name) {
        call<&FileSystem::removexattr>(req, ino, name);
    };
    // Not implemented on purpose: flush (close(2) of a FUSE file sends FLUSH before
    // RELEASE; answering ENOSYS once makes the kernel stop, which saves a round trip per
    // close: our handles are plain local descriptors, the kernel handles POSIX locks, and
    // write errors of the writeback cache are reported by the kernel before FLUSH),
    // access (default_permissions lets the kernel check),
    // getlk/setlk (see fs_init.cpp), ioctl, poll, bmap, tmpfile (not in libfuse 3.14).
    return ops;
}

}  // namespace cntrfs
