// cntrfs-server: the command line. Everything else lives in the cntrfs library.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <optional>

#include "cntr_version.hpp"
#include "log.hpp"
#include "options.hpp"
#include "serve.hpp"

namespace {

constexpr const char* kDescription =
    "cntrfs-server - CNTRFS, the FUSE file system that shows one directory tree (the\n"
    "debug tools: host /, a fat container's root or an unpacked image) inside a cntr\n"
    "debug session. Every operation is passed through to the files under --root.\n";

constexpr const char* kFooter = R"(
Modes (exactly one):
  --mount MOUNTPOINT   Standalone: mount --root at MOUNTPOINT and serve it until it is
                       unmounted (umount, fusermount3 -u) or SIGINT/SIGTERM/SIGHUP
                       arrives; then unmount and exit 0. For tests and benchmarks.
  --socket-fd N        Attach (used by cntr): N is an AF_UNIX SOCK_SEQPACKET socket.
                       The server receives the message "fuse" carrying one /dev/fuse
                       descriptor that cntr already mounted, answers "ready" (or
                       "error: ..." and exits 1), and serves until the last mount of
                       that connection is gone; then exits 0. SIGINT/SIGHUP are ignored.

Files created through the mount belong to the creating process's uid/gid (or to
--effective-user). The kernel checks permissions (default_permissions, POSIX ACLs).

Ids (--uid-map/--gid-map, the container's /proc/PID/uid_map lines joined by commas):
every id on the wire is a host id, and so are owners on disk: files are created as
the caller's host id, and an owner the map does not cover is reported as 65534 (the
kernel's rule for idmapped mounts), so a user-namespaced container's root never sees
host root's files as its own. With --shift-owners (needs --read-only) owners on disk
are treated as container ids instead: a file owned by host root is reported as owned
by the host id the container's root maps to (shown as root inside the container);
ids the map does not cover are reported as 65534.

--unprivileged (attach mode, needs --read-only): once the root is open and the FUSE
descriptor is taken over, the server drops to uid/gid 65534 with no supplementary
groups, no capabilities (bounding set emptied) and no_new_privs, so it serves only
what the world may read. FUSE passthrough (which needs CAP_SYS_ADMIN) is off then.

--setns-fd N (repeatable; e.g. inherited /proc/PID/ns/user, then /proc/PID/ns/mnt of
a container): before anything else a child process joins these namespaces in the
order given and opens --root there (--root / is that namespace's root); the server
itself stays in its own namespaces and serves the tree through that descriptor.

--read-only implies --entry-timeout 3600 --attr-timeout 3600 unless they are given:
an image root never changes behind the mount. Add --keep-cache --cache-symlinks.

Examples:
  cntrfs-server --root / --mount /tmp/host
  cntrfs-server --root /var/lib/cntr/images/ab12/rootfs --mount /mnt/tools --read-only \
                --keep-cache --entry-timeout 3600 --attr-timeout 3600
  fusermount3 -u /tmp/host      # ends a standalone server

Exit status: 0 when the mount went away or a signal stopped the server, 1 on errors,
2 on usage errors.
)";

// A validator whose name does not clutter --help (the help text says what is allowed).
CLI::Validator quiet(CLI::Validator v) {
    v.description("");
    return v;
}

}  // namespace

int main(int argc, char** argv) {
    cntr::log::set_program("cntrfs-server");
    cntrfs::Options o;
    bool no_parallel_dirops = false;
    bool no_async_read = false;
    bool no_splice = false;
    bool no_readdirplus = false;
    bool no_batch_forget = false;
    bool no_xattr_shortcut = false;
    bool no_handle_killpriv = false;
    bool no_passthrough = false;
    std::optional<std::string> uid_map;
    std::optional<std::string> gid_map;
    std::string effective_user;

    CLI::App app{kDescription, "cntrfs-server"};
    app.footer(kFooter);
    app.get_formatter()->column_width(30);
    app.set_version_flag("--version", std::string("cntrfs-server ") + cntr::kVersionString,
                         "Print the version and exit");

    app.add_option("--root", o.root, "Directory to serve")->required()->type_name("DIR");
    auto* mount = app.add_option("--mount", o.mountpoint, "Standalone mode: mount at MOUNTPOINT")
                      ->type_name("MOUNTPOINT");
    auto* socket =
        app.add_option("--socket-fd", o.socket_fd, "Attach mode: handshake on socket N (for cntr)")
            ->type_name("N")
            ->check(quiet(CLI::NonNegativeNumber));
    mount->excludes(socket);
    socket->excludes(mount);

    app.add_flag("--read-only", o.fs.read_only, "Refuse every change with EROFS");
    bool shift_owners = false;
    app.add_flag("--unprivileged", o.unprivileged,
                 "Attach mode: serve as uid/gid 65534 without\ncapabilities (needs --read-only)");
    app.add_option("--threads", o.threads,
                   "Worker threads at most (1..1024; 1: single-threaded;\n"
                   "default: libfuse's, 10)")
        ->type_name("N")
        ->check(quiet(CLI::Range(1U, 1024U)));
    auto* entry_timeout = app.add_option("--entry-timeout", o.fs.entry_timeout,
                                         "Seconds the kernel caches names, also absent ones")
                              ->type_name("S")
                              ->default_str("1.0")
                              ->check(quiet(CLI::NonNegativeNumber));
    auto* attr_timeout =
        app.add_option("--attr-timeout", o.fs.attr_timeout, "Seconds the kernel caches attributes")
            ->type_name("S")
            ->default_str("1.0")
            ->check(quiet(CLI::NonNegativeNumber));
    app.add_option("-o", o.fuse_options,
                   "Options for libfuse, repeatable (e.g. -o max_read=131072)")
        ->type_name("OPT[,OPT...]")
        ->allow_extra_args(false);
    app.add_option("--negative-timeout", o.fs.negative_timeout,
                   "Seconds the kernel caches absent names\n(default: --entry-timeout; 0: off)")
        ->type_name("S")
        ->check(quiet(CLI::NonNegativeNumber));
    app.add_flag("--debug", o.debug, "Log every FUSE request and the server's decisions");
    app.add_option("--uid-map", uid_map,
                   "Container uid map (\"INSIDE OUTSIDE COUNT[,...]\"): shift\n"
                   "owners between the container's and the host's view")
        ->type_name("MAP");
    app.add_option("--gid-map", gid_map, "Container gid map, as --uid-map")->type_name("MAP");
    app.add_flag("--shift-owners", shift_owners,
                 "Treat owners on disk as container ids (needs\n--read-only)");
    app.add_option("--effective-user", effective_user,
                   "Host UID:GID that owns every file created\nthrough the mount")
        ->type_name("UID:GID");
    app.add_option("--setns-fd", o.setns_fds,
                   "Open --root in the namespace of inherited\ndescriptor N (repeatable, "
                   "in order)")
        ->type_name("N")
        ->check(quiet(CLI::NonNegativeNumber))
        ->allow_extra_args(false);

    auto* perf = app.add_option_group("Performance switches (each measurable on its own)");
    perf->add_flag("--keep-cache", o.fs.features.keep_cache,
                   "Keep pages and listings cached across opens,\n"
                   "open directories without requests (for roots\n"
                   "that never change behind the mount)");
    perf->add_flag("--writeback-cache", o.fs.features.writeback_cache,
                   "Let the kernel cache writes (off by default: it\n"
                   "breaks O_APPEND and sizes when files change\n"
                   "behind the mount)");
    perf->add_flag("--no-parallel-dirops", no_parallel_dirops,
                   "Serialize lookups and listings per directory");
    perf->add_flag("--no-async-read", no_async_read, "Turn off asynchronous read-ahead");
    perf->add_flag("--no-splice", no_splice, "Copy data through memory instead of splice(2)");
    perf->add_flag("--no-readdirplus", no_readdirplus,
                   "List directories without attributes (then one\nLOOKUP per entry)");
    perf->add_flag("--no-batch-forget", no_batch_forget,
                   "Handle FUSE_BATCH_FORGET one entry at a time");
    perf->add_flag("--cache-symlinks", o.fs.features.cache_symlinks,
                   "Let the kernel cache symlink targets (wrong for\n/proc/self: roots "
                   "without /proc only)");
    perf->add_flag("--no-xattr-shortcut", no_xattr_shortcut,
                   "Always ask the disk for security.capability\n(the kernel asks before "
                   "every write)");
    perf->add_flag("--no-handle-killpriv", no_handle_killpriv,
                   "Let the kernel clear set-id bits (then it asks\n"
                   "for security.capability before every write,\n"
                   "not once per file)");
    perf->add_flag("--no-passthrough", no_passthrough,
                   "Serve reads and writes through requests instead\n"
                   "of FUSE passthrough (Linux 6.9+; off anyway\nwith --writeback-cache)");
    perf->add_flag("--io-uring", o.fs.features.io_uring,
                   "Take requests from per-CPU io_uring queues\n"
                   "(Linux 6.14+ with the fuse module's enable_uring\n"
                   "set to Y; replies are copied, not spliced)");
    perf->add_option("--max-inodes", o.fs.max_inodes,
                     "Inodes (one descriptor each) kept before the\n"
                     "kernel is asked to drop the least recently\n"
                     "used (default: half the descriptor limit)")
        ->type_name("N")
        ->check(quiet(CLI::Range(size_t{16}, size_t{1} << 30)));
    perf->add_option("--max-write", o.fs.max_write,
                     "Bytes per write request (4096..1048576;\ndefault: 1048576)")
        ->type_name("BYTES")
        ->check(quiet(CLI::Range(4096U, 1048576U)));
    perf->add_option("--max-readahead", o.fs.max_readahead,
                     "Bytes of kernel read-ahead (default: the\nkernel's)")
        ->type_name("BYTES")
        ->check(quiet(CLI::Range(4096U, 16U << 20)));

    CLI11_PARSE(app, argc, argv);
    if (!o.mountpoint && !o.socket_fd) {
        cntr::log::error("one of --mount MOUNTPOINT or --socket-fd N is required (see --help)");
        return 2;
    }
    o.fs.features.parallel_dirops = !no_parallel_dirops;
    o.fs.features.async_read = !no_async_read;
    o.fs.features.splice = !no_splice;
    o.fs.features.readdirplus = !no_readdirplus;
    o.fs.features.batch_forget = !no_batch_forget;
    o.fs.features.xattr_shortcut = !no_xattr_shortcut;
    o.fs.features.handle_killpriv = !no_handle_killpriv;
    // Registering a passthrough backing file needs CAP_SYS_ADMIN.
    o.fs.features.passthrough =
        !no_passthrough && !o.fs.features.writeback_cache && !o.unprivileged;
    // Ring requests are answered from memory (uring_transport.hpp).
    if (o.fs.features.io_uring) o.fs.features.splice = false;
    if (o.fs.read_only) {
        if (entry_timeout->count() == 0) o.fs.entry_timeout = 3600;
        if (attr_timeout->count() == 0) o.fs.attr_timeout = 3600;
    }
    cntr::log::set_verbose(o.debug || cntr::log::verbose());
    // Both make sense only where nothing can change: an unprivileged server cannot give
    // new files to their creators, and shifted owners give the container's root the
    // owner's rights over host root's files.
    if ((o.unprivileged || shift_owners) && !o.fs.read_only) {
        cntr::log::error("--unprivileged and --shift-owners need --read-only");
        return 2;
    }
    if (o.unprivileged && !o.socket_fd) {
        cntr::log::error("--unprivileged works in attach mode (--socket-fd) only");
        return 2;
    }

    try {
        if (uid_map) o.fs.uid_map = cntrfs::IdMap::parse(*uid_map, "--uid-map");
        if (gid_map) o.fs.gid_map = cntrfs::IdMap::parse(*gid_map, "--gid-map");
        if (shift_owners) {
            o.fs.uid_map.shift_owners();
            o.fs.gid_map.shift_owners();
        }
        if (!effective_user.empty()) {
            unsigned uid = 0, gid = 0;
            char end = 0;
            if (std::sscanf(effective_user.c_str(), "%u:%u%c", &uid, &gid, &end) != 2) {
                cntr::log::error("--effective-user {}: expected host ids UID:GID, e.g. 1000:1000",
                                 effective_user);
                return 2;
            }
            o.fs.effective_user = std::make_pair(uid, gid);
        }
    } catch (const std::exception& e) {
        cntr::log::error("{}", e.what());
        return 2;
    }
    try {
        return o.socket_fd ? cntrfs::serve_attached(o) : cntrfs::serve_standalone(o);
    } catch (const std::exception& e) {
        cntr::log::error("{}", e.what());
        return 1;
    }
}
