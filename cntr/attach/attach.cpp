// cntr attach: resolve the container, capture its context, start
// cntrfs-server for the tools and run the session (session_parent.cpp).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "commands.hpp"
#include "environment.hpp"
#include "error.hpp"
#include "fd_passing.hpp"
#include "log.hpp"
#include "preflight.hpp"
#include "process_context.hpp"
#include "resolve/resolver.hpp"
#include "session.hpp"
#include "terminal.hpp"
#include "tools_server.hpp"

namespace cntr {
namespace {

// The container's tree is shown at /var/lib/cntr of the tools, so the
// directory must exist there. For host tools that is the host's own.
void ensure_mount_point(const std::string& tools_root) {
    const std::string prefix = tools_root == "/" ? "" : tools_root;
    for (const char* part : {"/var", "/var/lib", "/var/lib/cntr"}) {
        const std::string path = prefix + part;
        if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) throw_errno("mkdir " + path);
    }
}

std::string env_or(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? v : fallback;
}

}  // namespace

SessionConfig interactive_session_config(const ProcessContext& ctx) {
    SessionConfig cfg;
    cfg.ctx = &ctx;
    cfg.use_pty = ::isatty(STDIN_FILENO) != 0 && ::isatty(STDOUT_FILENO) != 0;
    if (cfg.use_pty) {
        cfg.term_attrs = terminal_attributes(STDIN_FILENO);
        cfg.term_size = terminal_size(STDIN_FILENO);
        cfg.term = env_or("TERM", "xterm");
    }
    cfg.user_shell = env_or("SHELL", "");
    return cfg;
}

int run_attach(const AttachOptions& opts) {
    require_privileges("attach");
    require_kernel();
    require_fuse_device();
    auto resolved = resolve_container(opts.container, opts.types);
    ProcessContext ctx = capture_process_context(resolved.pid);
    log::debug("attaching to {} PID {} ({})", resolved.engine, ctx.pid, ctx.comm);

    const std::string tools_root = "/";
    ensure_mount_point(tools_root);
    auto [server_sock, session_sock] = seqpacket_pair();
    ChildProcess server = start_tools_server(tools_root, std::move(server_sock));

    SessionConfig cfg = interactive_session_config(ctx);
    cfg.root_kind = SessionRootKind::tools;
    cfg.command = opts.command;
    cfg.tools_path = env_or("PATH", kDefaultPath);
    cfg.server_sock = session_sock.release();
    return run_session(std::move(cfg), &server);
}

}  // namespace cntr
