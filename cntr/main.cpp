// cntr: debug a slim container with the tools of a fat one. The subcommands
// are defined in cli/; this file splits off the session's command, parses,
// and maps errors to exit status 125.
#include <CLI/CLI.hpp>
#include <algorithm>

#include "cli/subcommands.hpp"
#include "cntr_version.hpp"
#include "command_line.hpp"
#include "log.hpp"
#include "session.hpp"

namespace {

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
        auto split = cntr::split_command_line(rest, cntr::cli::kOptionsWithValue, *sub == "attach");
        command = std::move(split.command);
        args.erase(sub + 1, args.end());
        args.insert(args.end(), split.cntr_args.begin(), split.cntr_args.end());
    }

    CLI::App app{kDescription, "cntr"};
    app.footer(kFooter);
    app.set_version_flag("--version", std::string("cntr ") + cntr::kVersionString);
    bool verbose = false;
    app.add_flag("-v,--verbose", verbose, "Print debug messages");
    app.require_subcommand(1);
    const std::vector<cntr::cli::Subcommand> subcommands = {
        cntr::cli::add_attach(app, command), cntr::cli::add_exec(app, command),
        cntr::cli::add_profiles(app),        cntr::cli::add_ps(app),
        cntr::cli::add_resolve(app),
    };

    try {
        std::reverse(args.begin(), args.end());
        app.parse(args);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : cntr::kCntrFailure;
    }
    cntr::log::set_verbose(verbose || cntr::log::verbose());

    try {
        for (const auto& s : subcommands)
            if (*s.app) return s.run();
        return cntr::kCntrFailure;
    } catch (const std::exception& e) {
        cntr::log::error("{}", e.what());
        return cntr::kCntrFailure;
    }
}
