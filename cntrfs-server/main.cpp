// cntrfs-server: the command line. Everything else lives in the cntrfs library.
#include <CLI/CLI.hpp>

#include <exception>

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

Files created through the mount belong to the creating process's uid/gid. The kernel
checks permissions (default_permissions). For an image root that never changes, use
--read-only --keep-cache and long timeouts, e.g. --entry-timeout 3600 --attr-timeout 3600.

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

    CLI::App app{kDescription, "cntrfs-server"};
    app.footer(kFooter);
    app.get_formatter()->column_width(30);
    app.set_version_flag("--version", std::string(cntr::kVersion), "Print the version and exit");

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
    app.add_option("--threads", o.threads,
                   "Worker threads at most (1..1024; 1: single-threaded;\n"
                   "default: libfuse's, 10)")
        ->type_name("N")
        ->check(quiet(CLI::Range(1U, 1024U)));
    app.add_option("--entry-timeout", o.fs.entry_timeout,
                   "Seconds the kernel caches names, also absent ones")
        ->type_name("S")
        ->default_str("1.0")
        ->check(quiet(CLI::NonNegativeNumber));
    app.add_option("--attr-timeout", o.fs.attr_timeout, "Seconds the kernel caches attributes")
        ->type_name("S")
        ->default_str("1.0")
        ->check(quiet(CLI::NonNegativeNumber));
    app.add_option("-o", o.fuse_options,
                   "Options for libfuse, repeatable (e.g. -o max_read=131072)")
        ->type_name("OPT[,OPT...]")
        ->allow_extra_args(false);
    app.add_flag("--debug", o.debug, "Log every FUSE request and the server's decisions");

    auto* perf = app.add_option_group("Performance switches (each measurable on its own)");
    perf->add_flag("--keep-cache", o.fs.features.keep_cache,
                   "Keep pages and listings cached across opens\n"
                   "(for roots that never change behind the mount)");
    perf->add_flag("--writeback-cache", o.fs.features.writeback_cache,
                   "Let the kernel cache writes (off by default: it\n"
                   "breaks O_APPEND and sizes when files change\n"
                   "behind the mount)");
    perf->add_flag("--no-parallel-dirops", no_parallel_dirops,
                   "Serialize lookups and listings per directory");
    perf->add_flag("--no-async-read", no_async_read, "Turn off asynchronous read-ahead");
    perf->add_flag("--no-splice", no_splice, "Copy data through memory instead of splice(2)");

    CLI11_PARSE(app, argc, argv);
    if (!o.mountpoint && !o.socket_fd) {
        cntr::log::error("one of --mount MOUNTPOINT or --socket-fd N is required (see --help)");
        return 2;
    }
    o.fs.features.parallel_dirops = !no_parallel_dirops;
    o.fs.features.async_read = !no_async_read;
    o.fs.features.splice = !no_splice;
    cntr::log::set_verbose(o.debug || cntr::log::verbose());

    try {
        return o.socket_fd ? cntrfs::serve_attached(o) : cntrfs::serve_standalone(o);
    } catch (const std::exception& e) {
        cntr::log::error("{}", e.what());
        return 1;
    }
}
