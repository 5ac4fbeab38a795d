// The cntr command line, one file per subcommand: each registers its options
// on the CLI11 app and returns the function that runs it once parsing is done.
// The options live in state owned by that function, so nothing is global.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace cntr::cli {

struct Subcommand {
    CLI::App* app;
    std::function<int()> run;
};

// `command` is the session's command, cut off the command line before parsing
// (see command_line.hpp); it is read when the subcommand runs.
Subcommand add_attach(CLI::App& app, const std::vector<std::string>& command);
Subcommand add_exec(CLI::App& app, const std::vector<std::string>& command);
Subcommand add_profiles(CLI::App& app);
Subcommand add_ps(CLI::App& app);
Subcommand add_resolve(CLI::App& app);  // hidden; used by bench/attach-latency.sh

// A usage line of the subcommand's own ("cntr attach [OPTIONS] ..."), printed
// by --help instead of CLI11's; install_usage_formatter() must run on the
// top-level app before its subcommands are added.
void install_usage_formatter(CLI::App& app);
void set_usage(CLI::App* cmd, std::string usage);

// Options whose value is the next argument, so the command-line splitter
// never mistakes a value for the container name.
extern const std::vector<std::string> kOptionsWithValue;

// Shared by the subcommands that name a container.
std::string join(const std::vector<std::string>& v);
void add_target_options(CLI::App* cmd, std::string& container, std::string& types, bool required);

}  // namespace cntr::cli
