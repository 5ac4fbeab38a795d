// cntr: debug a slim container with the tools of a fat one. The subcommands
// are defined in cli/; this file splits off the session's command, answers the
// habits of docker and upstream cntr (help CMD, -it, a mistyped subcommand),
// parses, and maps errors to exit status 125.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>

#include "cli/subcommands.hpp"
#include "cntr_version.hpp"
#include "command_line.hpp"
#include "environment.hpp"
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

// What a user may type after "cntr"; resolve is hidden and never suggested.
const std::vector<std::string> kCommands = {"attach", "exec", "profiles", "ps", "help"};

bool is_option(const std::string& a) { return a.starts_with("-"); }

}  // namespace

int main(int argc, char** argv) {
    cntr::log::set_program("cntr");
    std::vector<std::string> args(argv + 1, argv + argc);

    // Global options come before the subcommand; the subcommand's own
    // arguments are split so that the session's command is never parsed.
    auto sub = std::ranges::find_if(args, [](const std::string& a) { return !is_option(a); });
    if (sub != args.end() && *sub == "help") {
        // `cntr help [CMD]`, as git and docker spell --help.
        std::vector<std::string> topic(sub + 1, args.end());
        args.erase(sub, args.end());
        if (!topic.empty()) args.push_back(topic.front());
        args.emplace_back("--help");
        sub = std::ranges::find_if(args, [](const std::string& a) { return !is_option(a); });
    }
    if (sub != args.end() && *sub != "resolve" &&
        std::ranges::find(kCommands, *sub) == kCommands.end()) {
        if (auto near = cntr::nearest_word(*sub, kCommands))
            cntr::log::error("'{}' is not a cntr command; did you mean 'cntr {}'?", *sub, *near);
        else
            cntr::log::error(
                "'{}' is not a cntr command; the commands are attach, exec, "
                "profiles, ps and help (see cntr --help)",
                *sub);
        return cntr::kCntrFailure;
    }
    std::vector<std::string> command;
    if (sub != args.end() && (*sub == "attach" || *sub == "exec")) {
        std::vector<std::string> rest(sub + 1, args.end());
        // Inside a session `cntr exec ls /` runs ls, as upstream cntr's exec did:
        // there is no other container to name from there.
        const bool command_first =
            *sub == "exec" && std::getenv(cntr::kContainerPathVar) != nullptr;
        auto split = cntr::split_command_line(rest, cntr::cli::kOptionsWithValue, *sub == "attach",
                                              command_first);
        for (const auto& flag :
             cntr::take_docker_terminal_flags(split.cntr_args, cntr::cli::kOptionsWithValue))
            cntr::log::warn(
                "ignoring {}: cntr allocates a terminal by itself when stdin and stdout are "
                "terminals, and -t is --type (the container engine), as in upstream cntr",
                flag);
        command = std::move(split.command);
        args.erase(sub + 1, args.end());
        args.insert(args.end(), split.cntr_args.begin(), split.cntr_args.end());
    }

    CLI::App app{kDescription, "cntr"};
    cntr::cli::install_usage_formatter(app);
    app.footer(kFooter);
    app.set_version_flag("-V,--version", std::string("cntr ") + cntr::kVersionString);
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
