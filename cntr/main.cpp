// cntr: debug a slim container with the tools of a fat one.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>

#include "cntr_version.hpp"
#include "command_line.hpp"
#include "commands.hpp"
#include "error.hpp"
#include "log.hpp"
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
        auto split = cntr::split_command_line(rest, {"-t", "--type"}, *sub == "attach");
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
                                   " (default: " + join(cntr::default_container_types()) + ")";
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

    // cntr ps, and the hidden `cntr resolve` used by bench/attach-latency.sh.
    cntr::PsOptions ps;
    std::string ps_types = join(cntr::default_container_types());
    auto* ps_cmd = app.add_subcommand(
        "ps", "List every attachable container of every engine: engine, name, id, PID, image, uptime");
    ps_cmd->add_option("--format", ps.format, "table (default) or json")
        ->check(CLI::IsMember({"table", "json"}));
    ps_cmd->add_option("-t,--type", ps_types, "Engines to list, comma separated (default: all)");
    std::string resolve_name, resolve_types = join(cntr::default_container_types());
    auto* resolve_cmd = app.add_subcommand("resolve", "Print ENGINE PID NAME of CONTAINER")->group("");
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
        if (*resolve_cmd) return cntr::run_resolve(resolve_name, cntr::parse_container_types(resolve_types));
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
