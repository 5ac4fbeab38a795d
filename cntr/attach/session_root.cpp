// Building the session's root, step by step (all in the session child,
// which is single-threaded and still in the host's user namespace):
//
//  1. setns() into the container's mount namespace, unshare() a new one and
//     make every mount in it private, so nothing we do propagates back into
//     the container (or, through shared peers, to the host).
//  2. Take a detached recursive clone of the container's whole tree
//     (open_tree), before anything covers it.
//  3. Create the FUSE superblock with fsopen/fsmount from the /dev/fuse
//     descriptor opened on the host, and hand that descriptor to
//     cntrfs-server. It answers "ready" once libfuse owns the session.
//  4. Stack the FUSE mount on "/" and chroot into it: the tools are now "/".
//     The mount is read-only unless --writable-tools: every process of the
//     container reaches it through /proc/<session pid>/root, so the kernel
//     refuses writes before they reach cntrfs-server (which refuses them too).
//  5. Provide the mount points the tools lack (a minimal tools image has no
//     /proc, /etc/hosts, /var/lib/cntr...) with read-only tmpfs skeletons of
//     their parents, never by writing into the tools (session_mountpoints.hpp).
//     Attach the container's tree at /var/lib/cntr, then clone its /proc,
//     /dev and /sys (recursively, with the runtime's masks) over the tools'.
//  6. Bind the container's identity files over the tools' copies. Each is
//     resolved with openat2(RESOLVE_IN_ROOT) against the container root, so
//     a symlink planted in the container can never make us expose a host file.
//     When neither has /etc/hosts, the session gets docker's default one.
//  7. Read-only tools: a private tmpfs on /tmp, /var/tmp and the home
//     directory (session_scratch.hpp).
//  8. Only when asked (--host-sockets), mount the host's X11 and D-Bus socket
//     directories (cloned before step 1) over the tools' view, so GUI and
//     D-Bus clients in the session reach the real sockets.
//
// Using the new mount API means no staging directory is ever created in the
// container; a failure at any step leaves only detached mounts, which the
// kernel drops with our descriptors and our private namespace.
#include "session_root.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <string>

#include "environment.hpp"
#include "error.hpp"
#include "fd_passing.hpp"
#include "file_io.hpp"
#include "log.hpp"
#include "mount_api.hpp"
#include "session_mountpoints.hpp"
#include "session_scratch.hpp"

namespace cntr {
namespace {

constexpr std::array kContainerFileSystems = {"proc", "dev", "sys"};
struct HostSocketDirectory {
    const char* name;  // for --host-sockets
    const char* path;
};
constexpr std::array kHostSocketDirectories = {HostSocketDirectory{"x11", "/tmp/.X11-unix"},
                                               HostSocketDirectory{"dbus", "/run/dbus"}};
constexpr std::array kIdentityFiles = {"etc/passwd", "etc/group",       "etc/hostname",
                                       "etc/hosts",  "etc/resolv.conf", "etc/localtime"};

// What docker writes into a container's /etc/hosts (without the container's
// own address, which cntr does not know): for a container without one.
constexpr const char* kDefaultHosts =
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "ff00::0\tip6-mcastprefix\n"
    "ff02::1\tip6-allnodes\n"
    "ff02::2\tip6-allrouters\n";

bool container_has(int container_root, const char* name, bool directory) {
    Fd fd = open_in_root(container_root, name, O_PATH);
    struct stat st {};
    return fd && ::fstat(fd.get(), &st) == 0 &&
           (directory ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
}

Mountpoint directory(std::string path) { return {std::move(path), true, {}}; }
Mountpoint file(std::string path, std::string content = {}) {
    return {std::move(path), false, std::move(content)};
}

// Every mount point the session's mounts need, given what the container has.
std::vector<Mountpoint> wanted_mountpoints(const SessionConfig& cfg, int container_root) {
    std::vector<Mountpoint> out{directory(kContainerMountPoint)};
    for (const char* name : kContainerFileSystems)
        if (container_has(container_root, name, true))
            out.push_back(directory(std::string("/") + name));
    for (const char* name : kIdentityFiles) {
        const std::string path = std::string("/") + name;
        struct stat tst {};
        // A symlinked localtime of the tools is left alone (bind_identity_files).
        if (std::string_view(name) == "etc/localtime" && ::lstat(path.c_str(), &tst) == 0) continue;
        if (container_has(container_root, name, false))
            out.push_back(file(path));
        else if (std::string_view(name) == "etc/hosts")
            out.push_back(file(path, kDefaultHosts));
    }
    if (!cfg.writable_tools)
        for (auto& dir : session_scratch_directories(*cfg.ctx))
            out.push_back(directory(std::move(dir)));
    return out;
}

void enter_private_copy_of_container_mounts(const ProcessContext& ctx) {
    const auto* mnt = ctx.find_namespace(Namespace::mnt);
    if (mnt == nullptr) throw UserError("the kernel does not show the container's mount namespace");
    check(::setns(mnt->fd.get(), CLONE_NEWNS), "setns into the container's mount namespace");
    check(::unshare(CLONE_NEWNS), "unshare a nested mount namespace");
    check(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr),
          "make the nested mount namespace private");
}

Fd mount_tools_filesystem(Fd fuse_dev, int server_sock, bool writable) {
    const std::string options = "fd=" + std::to_string(fuse_dev.get()) +
                                ",rootmode=40000,user_id=0,group_id=0,allow_other,"
                                "default_permissions,subtype=cntrfs";
    // nosuid: a container user must not gain the tools' setuid programs.
    const unsigned attrs =
        MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (writable ? 0U : unsigned{MOUNT_ATTR_RDONLY});
    Fd mnt = make_detached_mount("fuse", "cntrfs", options, attrs);

    const std::array fds{fuse_dev.get()};
    send_message(server_sock, "fuse", fds);
    // Our copy must go: the connection has to end when the server does.
    fuse_dev.reset();
    Message reply = recv_message(server_sock);
    if (reply.eof)
        throw UserError("cntrfs-server exited before serving the tools (see its messages above)");
    if (reply.data != "ready") throw UserError("cntrfs-server: " + reply.data);
    return mnt;
}

void bind_container_filesystems(int container_root) {
    for (const char* name : kContainerFileSystems) {
        Fd src = open_in_root(container_root, name, O_PATH | O_DIRECTORY);
        if (!src) {
            log::debug("the container has no /{}; the session keeps the tools' copy", name);
            continue;
        }
        attach_mount(clone_mount_tree(src.get(), "").get(), AT_FDCWD, std::string("/") + name);
    }
}

void bind_identity_files(int container_root) {
    for (const char* name : kIdentityFiles) {
        Fd src = open_in_root(container_root, name, O_PATH);
        struct stat st {};
        if (!src || ::fstat(src.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
            log::debug("the container has no regular /{}; keeping the tools' copy", name);
            continue;
        }
        const std::string target = std::string("/") + name;
        struct stat tst {};
        if (::lstat(target.c_str(), &tst) != 0) {
            log::debug("the tools have no {}; not binding the container's", target);
            continue;
        }
        // A symlinked /etc/localtime points into the tools' zoneinfo; covering
        // that zone file would corrupt TZ=Zone for everybody. TZ handles it.
        if (S_ISLNK(tst.st_mode) && std::string_view(name) == "etc/localtime") continue;
        try {
            attach_mount(clone_mount_tree(src.get(), "", false).get(), AT_FDCWD, target, true);
        } catch (const SysError& e) {
            log::debug("not binding the container's /{}: {}", name, e.what());
        }
    }
}

std::string container_timezone(int container_root) {
    Fd lt = open_in_root(container_root, "etc/localtime", O_PATH | O_NOFOLLOW);
    struct stat st {};
    if (!lt || ::fstat(lt.get(), &st) != 0) return timezone_for(std::nullopt, false);
    if (S_ISLNK(st.st_mode)) {
        std::array<char, 4096> buf{};
        ssize_t n = ::readlinkat(lt.get(), "", buf.data(), buf.size() - 1);
        if (n < 0) return timezone_for(std::nullopt, false);
        return timezone_for(std::string(buf.data(), static_cast<size_t>(n)), false);
    }
    return timezone_for(std::nullopt, S_ISREG(st.st_mode));
}

}  // namespace

std::vector<std::string> host_socket_names() {
    std::vector<std::string> out;
    for (const auto& dir : kHostSocketDirectories) out.emplace_back(dir.name);
    return out;
}

std::vector<HostDirectory> clone_host_socket_directories(const std::vector<std::string>& names) {
    std::vector<HostDirectory> out;
    for (const auto& dir : kHostSocketDirectories) {
        if (std::ranges::find(names, dir.name) == names.end()) continue;
        struct stat st {};
        if (::lstat(dir.path, &st) != 0 || !S_ISDIR(st.st_mode)) {
            log::warn("--host-sockets {}: the host has no directory {}", dir.name, dir.path);
            continue;
        }
        out.push_back({dir.path, clone_mount_tree(AT_FDCWD, dir.path)});
    }
    return out;
}

SessionRoot build_session_root(const SessionConfig& cfg, Fd fuse_dev,
                               std::vector<HostDirectory> host_dirs) {
    const ProcessContext& ctx = *cfg.ctx;
    enter_private_copy_of_container_mounts(ctx);
    Fd container_tree = clone_mount_tree(AT_FDCWD, "/");
    Fd tools = mount_tools_filesystem(std::move(fuse_dev), cfg.server_sock, cfg.writable_tools);

    attach_mount(tools.get(), AT_FDCWD, "/");
    check(::fchdir(tools.get()), "fchdir into the tools filesystem");
    check(::chroot("."), "chroot into the tools filesystem");
    check(::chdir("/"), "chdir /");

    provide_mountpoints(wanted_mountpoints(cfg, container_tree.get()));
    attach_mount(container_tree.get(), AT_FDCWD, kContainerMountPoint);
    SessionRoot root;
    root.container_root = open_fd("/var/lib/cntr", O_PATH | O_DIRECTORY);
    bind_container_filesystems(root.container_root.get());
    bind_identity_files(root.container_root.get());
    if (!cfg.writable_tools) mount_session_scratch(ctx);
    for (const auto& dir : host_dirs) {
        try {
            // Below the scratch /tmp the mount point is ours to create.
            if (!cfg.writable_tools && dir.path.starts_with("/tmp/") &&
                ::mkdir(dir.path.c_str(), 01777) != 0 && errno != EEXIST)
                throw_errno("mkdir " + dir.path);
            attach_mount(dir.tree.get(), AT_FDCWD, dir.path);
        } catch (const SysError& e) {
            log::debug("not mounting the host's {} in the session: {}", dir.path, e.what());
        }
    }
    root.timezone = container_timezone(root.container_root.get());
    return root;
}

}  // namespace cntr
