// cntr profiles list | show NAME | validate [FILE...]
#include <memory>

#include "profiles/profiles_command.hpp"
#include "subcommands.hpp"

namespace cntr::cli {

Subcommand add_profiles(CLI::App& app) {
    auto opts = std::make_shared<ProfilesOptions>();
    auto* cmd =
        app.add_subcommand("profiles",
                           "List, show or validate debug profiles (YAML in /etc/cntr/profiles.d, "
                           "$XDG_CONFIG_HOME/cntr/profiles.d and --profiles FILE).");
    set_usage(cmd, "cntr profiles [OPTIONS] list | show NAME | validate [FILE...]");
    cmd->add_option("action", opts->action, "list, show or validate")
        ->required()
        ->check(CLI::IsMember({"list", "show", "validate"}));
    cmd->add_option("args", opts->args, "NAME for show; FILEs for validate");
    cmd->add_option("--profiles", opts->files, "Also read profiles from FILE (repeatable)")
        ->type_name("FILE");
    cmd->footer(
        "Exit status: 0 when everything is valid, 1 when a file has errors (each reported as "
        "FILE:LINE:COLUMN).\nThe format is documented in profiles/schema.yaml.");
    return {cmd, [opts] { return run_profiles(*opts); }};
}

}  // namespace cntr::cli
