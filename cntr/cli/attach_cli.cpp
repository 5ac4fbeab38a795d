// cntr attach and cntr exec.
#include <memory>

#include "commands.hpp"
#include "resolve/resolver.hpp"
#include "subcommands.hpp"

namespace cntr::cli {
namespace {

// attach and exec: their options, the target's --type list, and the command after "--".
template <typename Options>
struct TargetCommand {
    Options opts;
    std::string types;
};

// The subcommand's action: fills in what parsing left for later, then runs it.
template <typename Options>
Subcommand with_target(CLI::App* cmd, std::shared_ptr<TargetCommand<Options>> s,
                       const std::vector<std::string>& command, int (*run)(const Options&)) {
    return {cmd, [s, &command, run] {
                s->opts.types = parse_container_types(s->types);
                s->opts.command = command;
                return run(s->opts);
            }};
}

// --elevate: the one place its help text lives, for attach and exec alike.
void add_elevate_option(CLI::App* cmd, std::optional<std::string>& into) {
    cmd->add_option("--elevate", into,
                    "Do NOT apply these confinement layers of the container to the session "
                    "(comma-separated): seccomp, caps, lsm, cgroup, limits (rlimits, "
                    "oom_score_adj, umask, personality), keyring, fence (the ptrace fence), or "
                    "all. Each lifted layer is something a compromised container may gain "
                    "through the session; cntr warns at session start")
        ->type_name("LIST");
}

}  // namespace

Subcommand add_attach(CLI::App& app, const std::vector<std::string>& command) {
    auto s = std::make_shared<TargetCommand<AttachOptions>>();
    auto* cmd = app.add_subcommand(
        "attach",
        "Open a shell (or run COMMAND) in CONTAINER with the host's tools.\n"
        "The session sees the tools at /, the container's root at /var/lib/cntr, and the\n"
        "container's /proc, /dev, /sys, /etc/{passwd,group,hostname,hosts,resolv.conf,localtime}.\n"
        "Without COMMAND it runs $SHELL -l (or /bin/sh). A PTY is used when stdin and stdout\n"
        "are terminals; otherwise stdio passes through byte for byte.");
    set_usage(cmd, "cntr attach [OPTIONS] [--] CONTAINER [-- COMMAND [ARGS...]]");
    add_target_options(cmd, s->opts.container, s->types, true);
    cmd->add_option("--tools", s->opts.tools,
                    "Where the tools come from: host (default), container:NAME (a running fat "
                    "container), or a tool image reference (pulled and unpacked on demand, "
                    "see cntr-fatimg)");
    cmd->add_option("--pull", s->opts.pull,
                    "When to pull a tools image: missing (default), always, never")
        ->check(CLI::IsMember({"missing", "always", "never"}));
    cmd->add_option("--profile", s->opts.profile,
                    "Use this profile instead of the one that matches CONTAINER");
    cmd->add_option("--profiles", s->opts.profile_files,
                    "Also read profiles from FILE (repeatable; later definitions win)")
        ->type_name("FILE");
    cmd->add_option("-u,--user", s->opts.user,
                    "Run as this user of the container: NAME, UID, NAME:GROUP or UID:GID");
    cmd->add_option("--shell", s->opts.shell, "Shell to run when no COMMAND is given");
    cmd->add_flag("-q,--quiet", s->opts.quiet,
                  "Do not print the line an interactive session starts with (container, "
                  "tools, how to leave)");
    cmd->add_option("--effective-user", s->opts.effective_user,
                    "Host user (NAME, UID or UID:GID) that owns the files the session creates "
                    "in the tools");
    cmd->add_flag("--writable-tools", s->opts.writable_tools,
                  "Serve the tools read-write as host root (the pre-1.x behaviour): the "
                  "container can then read and write every host file through the session; "
                  "see docs/security.md");
    cmd->add_flag("--keep-serving", s->opts.keep_serving,
                  "Keep serving the tools after COMMAND exits, for background jobs it "
                  "started; the container keeps that access until they end");
    cmd->add_option("--host-sockets", s->opts.host_sockets,
                    "Mount the host's socket directories in the session: x11 "
                    "(/tmp/.X11-unix), dbus (/run/dbus), comma-separated; the container can "
                    "connect to them too")
        ->type_name("LIST")
        ->allow_extra_args(false);
    cmd->add_option("--path", s->opts.path,
                    "PATH policy: tools-only (default), tools-first, container-first")
        ->check(CLI::IsMember({"tools-only", "tools-first", "container-first"}));
    add_elevate_option(cmd, s->opts.elevate);
    cmd->footer(
        "Examples:\n  cntr attach web\n  cntr attach -t process_id 4242 -- ps aux\n"
        "  cntr attach -t command 'nginx: master' -- ss -ltnp\n"
        "  cntr attach --tools container:debug-tools web\n"
        "  cntr attach --profile sre --tools 127.0.0.1:5000/tools:1 web");
    return with_target(cmd, s, command, run_attach);
}

Subcommand add_exec(CLI::App& app, const std::vector<std::string>& command) {
    auto s = std::make_shared<TargetCommand<ExecOptions>>();
    auto* cmd = app.add_subcommand(
        "exec",
        "Run COMMAND (default /bin/sh) of the container itself: its root, environment and PATH.\n"
        "Without CONTAINER it must run inside a 'cntr attach' session and uses that\n"
        "session's container (chroot into /var/lib/cntr); there, as in upstream cntr, the\n"
        "first argument is the command: cntr exec ls -l /.");
    set_usage(cmd,
              "cntr exec [OPTIONS] [CONTAINER] [-- COMMAND [ARGS...]]\n"
              "       cntr exec [--] COMMAND [ARGS...]   (inside a 'cntr attach' session)");
    add_target_options(cmd, s->opts.container, s->types, false);
    add_elevate_option(cmd, s->opts.elevate);
    cmd->footer(
        "Examples:\n  cntr exec web -- cat /etc/os-release\n  (inside a session) cntr exec ls /");
    return with_target(cmd, s, command, run_exec);
}

}  // namespace cntr::cli
