// The cntr subcommands, each returning cntr's exit status.
#pragma once

#include <string>
#include <vector>

namespace cntr {

struct AttachOptions {
    std::string container;
    std::vector<std::string> types;    // engines to try, in order
    std::vector<std::string> command;  // empty: the user's shell
};

struct ExecOptions {
    std::string container;  // empty: the container of the current attach session
    std::vector<std::string> types;
    std::vector<std::string> command;  // empty: /bin/sh
};

int run_attach(const AttachOptions& opts);
int run_exec(const ExecOptions& opts);

}  // namespace cntr
