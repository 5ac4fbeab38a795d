#include "resolve/resolver.hpp"
#include "subcommands.hpp"

namespace cntr::cli {

const std::vector<std::string> kOptionsWithValue = {
    "-t",     "--type",  "--tools", "--pull",           "--profile",      "--profiles", "-u",
    "--user", "--shell", "--path",  "--effective-user", "--host-sockets", "--elevate"};

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
    return out;
}

void add_target_options(CLI::App* cmd, std::string& container, std::string& types, bool required) {
    types = join(default_container_types());
    cmd->add_option("container", container,
                    "Container name or id (prefix), process id, or command-line pattern "
                    "(-t command)")
        ->required(required);
    cmd->add_option("-t,--type", types,
                    "Container engines to try, comma separated, in this order: " +
                        join(known_container_types()) +
                        " (default: " + join(default_container_types()) +
                        "; engines that are not installed are skipped unless named "
                        "with -t; a name that matches several containers is an error "
                        "listing them)");
}

}  // namespace cntr::cli
