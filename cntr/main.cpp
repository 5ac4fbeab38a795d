// cntr: debug a slim container with the tools of a fat one.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>

#include "cntr_version.hpp"
#include "command_line.hpp"
#include "commands.hpp"
#include "error.hpp"
#include "log.hpp"
#include "profiles/profiles_command.hpp"
#include "ps_command.hpp"
#include "resolve/resolver.hpp"
#include "session.hpp"

namespace {

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
    return out;
}

const char* kDescription =
    "cntr runs a shell (or COMMAND) inside a running container - its namespaces, cgroup,\n"
    "capabilities, user and environment - with the tools of the host at / and the\n"
    "container's own filesystem at /var/lib/cntr.";

const char* kFooter =
    "Exit status: the command's (128+N when it was killed by signal N); 125 when cntr\n"
    "itself failed, including when the container died during the session.\n"
    "Set CNTR_DEBUG=1 or pass -v for debug messages.";

// Options whose value is the next argument (the command-line splitter must
// know them so a value is never mistaken for the container name).
const std::vector<std::string> kOptionsWithValue = {
    "-t", "--type", "--tools", "--pull", "--profile",       "--profiles",
    "-u", "--user", "--shell", "--path", "--effective-user"};

}  // namespace

int main(int argc, char** argv) {
    cntr::log::set_program("cntr");
    std::vector<std::string> args(argv + 1, argv + argc);

    // Global options come before the subcommand; the subcommand's own
    // arguments are split so that the session's command is never parsed.
    auto sub = std::ranges::find_if(args, [](const std::string& a) { return !a.starts_with("-"); });
    std::vector<std::string> command;
    if (sub != args.end() && (*sub == "attach" || *sub == "exec")) {
        std::vector<std::string> rest(sub + 1, args.end());
        auto split = cntr::split_command_line(rest, kOptionsWithValue, *sub == "attach");
        command = std::move(split.command);
        args.erase(sub + 1, args.end());
        args.insert(args.end(), split.cntr_args.begin(), split.cntr_args.end());
    }

    CLI::App app{kDescription, "cntr"};
    app.footer(kFooter);
    app.set_version_flag("--version", std::string("cntr ") + cntr::kVersion);
    bool verbose = false;
    app.add_flag("-v,--verbose", verbose, "Print debug messages");
    app.require_subcommand(1);

    const std::string types_help = "Container engines to try, comma separated, in this order: " +
                                   join(cntr::known_container_types()) +
                                   " (default: " + join(cntr::default_container_types()) +
                                   "; engines that are not installed are skipped unless named "
                                   "with -t; a name that matches several containers is an error "
                                   "listing them)";
    auto add_target_options = [&](CLI::App* cmd, std::string& container, std::string& types,
                                  bool required) {
        cmd->add_option("container", container,
                        "Container name or id (prefix), process id, or command-line pattern "
                        "(-t command)")
            ->required(required);
        cmd->add_option("-t,--type", types, types_help);
    };

    cntr::AttachOptions attach;
    std::string attach_types = join(cntr::default_container_types());
    auto* attach_cmd = app.add_subcommand(
        "attach",
        "Open a shell (or run COMMAND) in CONTAINER with the host's tools.\n"
        "Usage: cntr attach [OPTIONS] [--] CONTAINER [-- COMMAND [ARGS...]]\n"
        "The session sees the tools at /, the container's root at /var/lib/cntr, and the\n"
        "container's /proc, /dev, /sys, /etc/{passwd,group,hostname,hosts,resolv.conf,localtime}.\n"
        "Without COMMAND it runs $SHELL -l (or /bin/sh). A PTY is used when stdin and stdout\n"
        "are terminals; otherwise stdio passes through byte for byte.");
    add_target_options(attach_cmd, attach.container, attach_types, true);
    attach_cmd->add_option(
        "--tools", attach.tools,
        "Where the tools come from: host (default), container:NAME (a running fat "
        "container), or a tool image reference (pulled and unpacked on demand, "
        "see cntr-fatimg)");
    attach_cmd
        ->add_option("--pull", attach.pull,
                     "When to pull a tools image: missing (default), always, never")
        ->check(CLI::IsMember({"missing", "always", "never"}));
    attach_cmd->add_option("--profile", attach.profile,
                           "Use this profile instead of the one that matches CONTAINER");
    attach_cmd
        ->add_option("--profiles", attach.profile_files,
                     "Also read profiles from FILE (repeatable; later definitions win)")
        ->type_name("FILE");
    attach_cmd->add_option("-u,--user", attach.user,
                           "Run as this user of the container: NAME, UID, NAME:GROUP or UID:GID");
    attach_cmd->add_option("--shell", attach.shell, "Shell to run when no COMMAND is given");
    attach_cmd->add_option(
        "--effective-user", attach.effective_user,
        "Host user (NAME, UID or UID:GID) that owns the files the session creates "
        "in the tools");
    attach_cmd
        ->add_option("--path", attach.path,
                     "PATH policy: tools-only (default), tools-first, container-first")
        ->check(CLI::IsMember({"tools-only", "tools-first", "container-first"}));
    attach_cmd->footer(
        "Examples:\n  cntr attach web\n  cntr attach -t process_id 4242 -- ps aux\n"
        "  cntr attach -t command 'nginx: master' -- ss -ltnp");

    cntr::ExecOptions exec;
    std::string exec_types = join(cntr::default_container_types());
    auto* exec_cmd = app.add_subcommand(
        "exec",
        "Run COMMAND (default /bin/sh) of the container itself: its root, environment and PATH.\n"
        "Usage: cntr exec [OPTIONS] [CONTAINER] [-- COMMAND [ARGS...]]\n"
        "Without CONTAINER it must run inside a 'cntr attach' session and uses that\n"
        "session's container (chroot into /var/lib/cntr).");
    add_target_options(exec_cmd, exec.container, exec_types, false);
    exec_cmd->footer(
        "Examples:\n  cntr exec web -- cat /etc/os-release\n  (inside a session) cntr exec -- ls "
        "/");

    cntr::ProfilesOptions profiles;
    auto* profiles_cmd =
        app.add_subcommand("profiles",
                           "List, show or validate debug profiles (YAML in /etc/cntr/profiles.d, "
                           "$XDG_CONFIG_HOME/cntr/profiles.d and --profiles FILE).\n"
                           "Usage: cntr profiles list | show NAME | validate [FILE...]");
    profiles_cmd->add_option("action", profiles.action, "list, show or validate")
        ->required()
        ->check(CLI::IsMember({"list", "show", "validate"}));
    profiles_cmd->add_option("args", profiles.args, "NAME for show; FILEs for validate");
    profiles_cmd
        ->add_option("--profiles", profiles.files, "Also read profiles from FILE (repeatable)")
        ->type_name("FILE");
    profiles_cmd->footer(
        "Exit status: 0 when everything is valid, 1 when a file has errors (each reported as "
        "FILE:LINE:COLUMN).\nThe format is documented in profiles/schema.yaml.");

    // cntr ps, and the hidden `cntr resolve` used by bench/attach-latency.sh.
    cntr::PsOptions ps;
    std::string ps_types = join(cntr::default_container_types());
    auto* ps_cmd = app.add_subcommand(
        "ps",
        "List every attachable container of every engine: engine, name, id, PID, image, uptime");
    ps_cmd->add_option("--format", ps.format, "table (default) or json")
        ->check(CLI::IsMember({"table", "json"}));
    ps_cmd->add_option("-t,--type", ps_types, "Engines to list, comma separated (default: all)");
    ps_cmd->footer("Exit status: 0; 1 when an engine could not be listed (the others are shown).");
    std::string resolve_name, resolve_types = join(cntr::default_container_types());
    auto* resolve_cmd =
        app.add_subcommand("resolve", "Print ENGINE PID NAME of CONTAINER")->group("");
    add_target_options(resolve_cmd, resolve_name, resolve_types, true);

    try {
        std::reverse(args.begin(), args.end());
        app.parse(args);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : cntr::kCntrFailure;
    }
    cntr::log::set_verbose(verbose || cntr::log::verbose());

    try {
        if (*ps_cmd) {
            ps.types = cntr::parse_container_types(ps_types);
            return cntr::run_ps(ps);
        }
        if (*resolve_cmd)
            return cntr::run_resolve(resolve_name, cntr::parse_container_types(resolve_types));
        if (*profiles_cmd) return cntr::run_profiles(profiles);
        if (*attach_cmd) {
            attach.types = cntr::parse_container_types(attach_types);
            attach.command = command;
            return cntr::run_attach(attach);
        }
        exec.types = cntr::parse_container_types(exec_types);
        exec.command = command;
        return cntr::run_exec(exec);
    } catch (const std::exception& e) {
        cntr::log::error("{}", e.what());
        return cntr::kCntrFailure;
    }
}
