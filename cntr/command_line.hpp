// Splitting "cntr SUB [OPTIONS] [--] CONTAINER [-- COMMAND ARGS...]": the
// command after the container may contain anything, "--" and options
// included, so it is cut off before CLI11 sees the rest.
#pragma once

#include <string>
#include <vector>

namespace cntr {

struct SplitCommandLine {
    std::vector<std::string> cntr_args;  // what CLI11 parses
    std::vector<std::string> command;    // what runs in the session
};

// `options_with_value` are the options that consume the next argument.
// When `container_required` is false (cntr exec), a "--" before any
// positional starts the command; otherwise it only ends the options.
SplitCommandLine split_command_line(const std::vector<std::string>& args,
                                    const std::vector<std::string>& options_with_value,
                                    bool container_required);

}  // namespace cntr
