#include "mount_api.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sstream>

#include "error.hpp"

namespace cntr {

Fd open_in_root(int root_fd, const std::string& path, int flags) {
    open_how how{};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    long fd;
    do {
        fd = ::syscall(SYS_openat2, root_fd, path.c_str(), &how, sizeof(how));
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) return Fd();
        throw_errno("openat2 " + path);
    }
    return Fd(static_cast<int>(fd));
}

Fd make_detached_mount(const std::string& fstype, const std::string& source,
                       const std::string& options, unsigned mount_attrs) {
    Fd fs(::fsopen(fstype.c_str(), FSOPEN_CLOEXEC));
    if (!fs) throw_errno("fsopen " + fstype);
    auto config = [&](unsigned cmd, const char* key, const char* value) {
        if (::fsconfig(fs.get(), cmd, key, value, 0) != 0)
            throw_errno(std::string("fsconfig ") + fstype + " " + (key ? key : "create"));
    };
    config(FSCONFIG_SET_STRING, "source", source.c_str());
    std::istringstream in(options);
    std::string opt;
    while (std::getline(in, opt, ',')) {
        if (opt.empty()) continue;
        auto eq = opt.find('=');
        if (eq == std::string::npos) {
            config(FSCONFIG_SET_FLAG, opt.c_str(), nullptr);
        } else {
            std::string key = opt.substr(0, eq);
            config(FSCONFIG_SET_STRING, key.c_str(), opt.c_str() + eq + 1);
        }
    }
    config(FSCONFIG_CMD_CREATE, nullptr, nullptr);
    Fd mnt(::fsmount(fs.get(), FSMOUNT_CLOEXEC, mount_attrs));
    if (!mnt) throw_errno("fsmount " + fstype);
    return mnt;
}

Fd clone_mount_tree(int dirfd, const std::string& path, bool recursive) {
    unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0U);
    if (path.empty()) flags |= AT_EMPTY_PATH;
    Fd tree(::open_tree(dirfd, path.c_str(), flags));
    if (!tree) throw_errno("open_tree " + (path.empty() ? std::string("(descriptor)") : path));
    return tree;
}

void attach_mount(int mount_fd, int dirfd, const std::string& path, bool follow) {
    unsigned flags = MOVE_MOUNT_F_EMPTY_PATH | (follow ? MOVE_MOUNT_T_SYMLINKS : 0U);
    if (::move_mount(mount_fd, "", dirfd, path.c_str(), flags) != 0)
        throw_errno("move_mount onto " + path);
}

}  // namespace cntr
