// cntr attach: pick the profile, resolve the container, capture its context,
// start cntrfs-server for the tools and run the session (session_parent.cpp).
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>

#include "commands.hpp"
#include "environment.hpp"
#include "error.hpp"
#include "fd_passing.hpp"
#include "log.hpp"
#include "preflight.hpp"
#include "process_context.hpp"
#include "profiles/profile.hpp"
#include "resolve/resolver.hpp"
#include "seccomp_borrow.hpp"
#include "session.hpp"
#include "session_banner.hpp"
#include "session_root.hpp"
#include "session_user.hpp"
#include "target_confirm.hpp"
#include "tools_server.hpp"
#include "tools_source.hpp"

namespace cntr {
namespace {

// The profile for this attach, if any. Problems in files the user named are
// errors; problems in the search directories are warnings (the bad file is
// skipped whole), so one broken team file cannot block an emergency.
std::optional<Profile> choose_profile(const AttachOptions& opts) {
    auto loaded = load_profiles(default_profile_sources(opts.profile_files));
    for (const auto& e : loaded.errors) {
        if (e.named_by_user) throw UserError(e.message);
        log::warn("ignoring a profile file with errors: {}", e.message);
    }
    auto profile = select_profile(loaded.profiles, opts.container, opts.profile);
    if (profile) log::debug("using profile {} ({})", profile->name, profile->origin);
    return profile;
}

std::string id_map_option(const std::vector<IdMapEntry>& map) {
    std::string out;
    // Appended piece by piece: GCC 12's -Wrestrict misreads `"," + std::string&&` in
    // release builds (a false positive that -Werror turns into a build failure).
    for (const auto& e : map) {
        if (!out.empty()) out += ',';
        out += std::to_string(e.inside);
        out += ' ';
        out += std::to_string(e.outside);
        out += ' ';
        out += std::to_string(e.count);
    }
    return out;
}

// --effective-user NAME|UID[:GID] of the host, as cntrfs-server's UID:GID.
std::string host_user_option(const std::string& spec) {
    const auto colon = spec.find(':');
    const std::string user = spec.substr(0, colon);
    std::string grp = colon == std::string::npos ? "" : spec.substr(colon + 1);
    passwd* pw = ::getpwnam(user.c_str());
    std::string uid;
    if (pw != nullptr) {
        uid = std::to_string(pw->pw_uid);
        if (grp.empty()) grp = std::to_string(pw->pw_gid);
    } else if (!user.empty() && user.find_first_not_of("0123456789") == std::string::npos) {
        uid = user;
        if (grp.empty()) grp = user;
    } else {
        throw UserError("--effective-user " + spec +
                        ": no such user on the host; give NAME, UID or UID:GID");
    }
    if (grp.find_first_not_of("0123456789") != std::string::npos) {
        group* gr = ::getgrnam(grp.c_str());
        if (gr == nullptr)
            throw UserError("--effective-user " + spec + ": no group '" + grp + "' on the host");
        grp = std::to_string(gr->gr_gid);
    }
    return uid + ":" + grp;
}

// --host-sockets x11,dbus (else the profile's host-sockets), checked; empty by default.
std::vector<std::string> chosen_host_sockets(const AttachOptions& opts, const Profile& p) {
    std::vector<std::string> names;
    if (opts.host_sockets) {
        std::istringstream in(*opts.host_sockets);
        for (std::string n; std::getline(in, n, ',');)
            if (!n.empty()) names.push_back(n);
    } else if (p.host_sockets) {
        names = *p.host_sockets;
    }
    const auto known = host_socket_names();
    for (const auto& n : names)
        if (std::ranges::find(known, n) == known.end())
            throw UserError("--host-sockets: unknown socket directory '" + n +
                            "'; known: x11, dbus");
    return names;
}

template <typename T>
std::optional<T> first_of(const std::optional<T>& flag, const std::optional<T>& from_profile) {
    return flag ? flag : from_profile;
}

}  // namespace

int run_attach(const AttachOptions& opts) {
    require_privileges("attach");
    require_kernel();
    require_fuse_device();
    const std::optional<Profile> profile = choose_profile(opts);
    const Profile none;
    const Profile& p = profile ? *profile : none;

    auto resolved = resolve_container(opts.container, opts.types);
    require_target_access(resolved.pid, "attach");
    ProcessContext ctx = capture_process_context(resolved.pid);
    confirm_resolution(ctx, opts.container, resolved);
    log::debug("attaching to {} PID {} ({})", resolved.engine, ctx.pid, ctx.comm);
    Elevation elevation;
    for (const auto& layer : p.elevate) parse_elevation(layer, elevation);
    if (opts.elevate) parse_elevation(*opts.elevate, elevation);
    if (!elevation.seccomp) borrow_container_seccomp(ctx);
    if (auto user = first_of(opts.user, p.user)) override_session_user(ctx, *user);

    ToolsRequest tools_request;
    tools_request.spec = first_of(opts.tools, p.tools).value_or("host");
    tools_request.pull = first_of(opts.pull, p.pull).value_or("missing");
    tools_request.container_types = default_container_types();
    const bool writable_tools = opts.writable_tools || p.writable_tools.value_or(false);
    if (opts.effective_user && !writable_tools)
        throw UserError(
            "--effective-user applies to files created in the tools, which are read-only; add "
            "--writable-tools");
    const std::vector<std::string> host_sockets = chosen_host_sockets(opts, p);
    for (const auto& name : host_sockets)
        log::warn(
            "--host-sockets {}: the container can connect to these host sockets through "
            "the session while it lasts",
            name);
    ToolsRoot tools = prepare_tools(tools_request);
    tools.writable = writable_tools;
    log::debug("tools: {} ({}, {})", tools.description, tools.root,
               writable_tools ? "read-write as host root" : "read-only as uid 65534");
    if (writable_tools)
        log::warn(
            "--writable-tools: the container can read and write the tools ({}) through "
            "the session while it lasts",
            tools.description);
    // A user-namespaced container sees host ids through its map. Read-only tools are
    // shown shifted, so its root owns what host root owns (ownership checks of tools
    // pass, and nothing can be changed); writable tools keep host owners and show the
    // ones the container does not map as 65534, as the kernel does (id_map.hpp).
    if (const auto* user_ns = ctx.find_namespace(Namespace::user);
        user_ns != nullptr && user_ns->differs) {
        tools.server_args.insert(
            tools.server_args.end(),
            {"--uid-map", id_map_option(ctx.uid_map), "--gid-map", id_map_option(ctx.gid_map)});
        if (!writable_tools) tools.server_args.emplace_back("--shift-owners");
    }
    if (opts.effective_user)
        tools.server_args.insert(tools.server_args.end(),
                                 {"--effective-user", host_user_option(*opts.effective_user)});

    auto [server_sock, session_sock] = seqpacket_pair();
    ChildProcess server = start_tools_server(tools, std::move(server_sock));
    tools.setns_fds.clear();

    SessionConfig cfg = interactive_session_config(ctx);
    cfg.root_kind = SessionRootKind::tools;
    cfg.command = opts.command;
    if (auto shell = first_of(opts.shell, p.shell)) cfg.user_shell = *shell;
    cfg.tools_path = tools.path;
    cfg.host_sockets = host_sockets;
    cfg.writable_tools = writable_tools;
    cfg.keep_serving = opts.keep_serving;
    if (opts.keep_serving)
        log::warn(
            "--keep-serving: the tools stay reachable after the command exits, for its "
            "background jobs and for every process of the container holding a path in "
            "them, until they let go");
    if (p.env) cfg.env_policy = *p.env;
    if (opts.path) {
        auto policy = parse_path_policy(*opts.path);
        if (!policy) throw UserError("--path must be tools-only, tools-first or container-first");
        cfg.path_policy = *policy;
    } else if (p.path) {
        cfg.path_policy = *p.path;
    }
    cfg.elevation = elevation;
    const std::string name = resolved.name.empty() ? opts.container : resolved.name;
    cfg.session_vars = session_variables(name, resolved.engine);
    // A person at a terminal is told where they are and starts in the container's
    // root, as in upstream cntr; a command run without a terminal gets nothing extra.
    if (cfg.use_pty) {
        if (!opts.quiet && !p.quiet.value_or(false))
            cfg.banner = session_banner(name, resolved.engine, tools.description);
        cfg.workdir = p.workdir.value_or(kContainerMountPoint);
    }
    cfg.server_sock = session_sock.release();
    return run_session(std::move(cfg), &server);
}

}  // namespace cntr
