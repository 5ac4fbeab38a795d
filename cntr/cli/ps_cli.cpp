// cntr ps, and the hidden cntr resolve.
#include <memory>

#include "ps_command.hpp"
#include "resolve/resolver.hpp"
#include "subcommands.hpp"

namespace cntr::cli {

Subcommand add_ps(CLI::App& app) {
    struct State {
        PsOptions opts;
        std::string types = join(default_container_types());
    };
    auto s = std::make_shared<State>();
    auto* cmd = app.add_subcommand(
        "ps",
        "List every attachable container of every engine: engine, name, id, PID, image, uptime");
    cmd->add_option("--format", s->opts.format, "table (default) or json")
        ->check(CLI::IsMember({"table", "json"}));
    cmd->add_option("-t,--type", s->types, "Engines to list, comma separated (default: all)");
    cmd->footer(
        "Exit status: 0; 1 when an engine could not be asked (the others are shown, the reason is "
        "on stderr); 125 when no engine could be asked (e.g. not root, or no daemon running).");
    return {cmd, [s] {
                s->opts.types = parse_container_types(s->types);
                return run_ps(s->opts);
            }};
}

Subcommand add_resolve(CLI::App& app) {
    struct State {
        std::string name, types;
    };
    auto s = std::make_shared<State>();
    auto* cmd = app.add_subcommand("resolve", "Print ENGINE PID NAME of CONTAINER")->group("");
    add_target_options(cmd, s->name, s->types, true);
    return {cmd, [s] { return run_resolve(s->name, parse_container_types(s->types)); }};
}

}  // namespace cntr::cli
