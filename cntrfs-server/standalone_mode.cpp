// Standalone mode: `cntrfs-server --root DIR --mount MOUNTPOINT`.
//
// The server mounts DIR at MOUNTPOINT itself (fuse_session_mount: mount(2) as root,
// fusermount3 otherwise), serves until the mount goes away (umount, fusermount3 -u) or
// SIGINT/SIGTERM/SIGHUP arrives, then unmounts what is left and exits 0. Tests,
// conformance suites and benchmarks use this mode; cntr itself uses attach mode.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include "error.hpp"
#include "fuse_session.hpp"
#include "log.hpp"
#include "serve.hpp"
#include "server_process.hpp"

namespace cntrfs {
namespace {

// The canonical path of an existing directory; errors read "--mount DIR: <reason>".
std::string canonical_mountpoint(const std::string& path) {
    std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
    if (!real) {
        int err = errno;
        std::string hint = err == ENOENT ? " (create the directory first)" : "";
        throw cntr::UserError("--mount " + path + ": " + std::strerror(err) + hint);
    }
    struct stat st {};
    if (::stat(real.get(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        throw cntr::UserError("--mount " + path + ": not a directory");
    }
    return real.get();
}

// libfuse parses -o lists itself: a comma or backslash in a value needs a backslash.
std::string escape_option_value(const std::string& value) {
    std::string out;
    for (char c : value) {
        if (c == ',' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    return out;
}

std::vector<std::string> mount_args(const Options& o) {
    std::vector<std::string> args;
    if (o.debug) args.emplace_back("-d");
    // default_permissions: the kernel checks modes and owners, with the caller's full
    // credentials. allow_other: the mount is for every user, like the root it shows.
    std::string opts =
        "fsname=" + escape_option_value(o.root) + ",subtype=cntrfs,default_permissions,allow_other";
    if (o.fs.read_only) opts += ",ro";
    // libfuse mounts nosuid,nodev unless told otherwise; as root the mount shows the
    // root's set-id programs and device nodes the way they work natively.
    if (::geteuid() == 0) opts += ",suid,dev";
    args.emplace_back("-o");
    args.push_back(opts);
    for (const auto& opt : o.fuse_options) {
        args.emplace_back("-o");
        args.push_back(opt);
    }
    return args;
}

}  // namespace

int serve_standalone(const Options& o) {
    cntr::Fd root = open_root_in_namespaces(o.root, o.setns_fds);
    const std::string mountpoint = canonical_mountpoint(*o.mountpoint);
    prepare_process();

    FileSystem fs(std::move(root), o.fs);
    FuseSession session(fs, mount_args(o));
    session.handle_signals(/*interactive=*/true);
    session.mount(mountpoint, "--mount " + *o.mountpoint);
    // Serving host `/` at /tmp/x puts the mount inside the root it serves.
    fs.inodes().set_self_dev(find_fuse_mount_dev(mountpoint));
    cntr::log::debug("serving {} at {}", o.root, mountpoint);

    int rc = exit_code_of_loop(session.loop(o.threads));
    session.unmount();
    return rc;
}

int exit_code_of_loop(int loop_result) {
    if (loop_result == 0) {
        cntr::log::debug("the mount is gone; exiting");
        return 0;
    }
    if (loop_result > 0) {
        cntr::log::debug("stopping on signal {} ({})", loop_result, ::strsignal(loop_result));
        return 0;
    }
    cntr::log::error("serving requests failed: {}", std::strerror(-loop_result));
    return 1;
}

}  // namespace cntrfs
