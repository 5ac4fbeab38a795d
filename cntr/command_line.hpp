// Splitting "cntr SUB [OPTIONS] [--] CONTAINER [-- COMMAND ARGS...]": the
// command after the container may contain anything, "--" and options
// included, so it is cut off before CLI11 sees the rest.
#pragma once

#include <optional>
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
// When `command_first` is true (cntr exec inside a session, as upstream's
// `cntr exec COMMAND`), the first positional starts the command.
SplitCommandLine split_command_line(const std::vector<std::string>& args,
                                    const std::vector<std::string>& options_with_value,
                                    bool container_required, bool command_first = false);

// Removes docker's terminal flags (-i, -it, -ti, --interactive, --tty) from the
// options in `cntr_args` and returns them: cntr allocates a terminal by itself,
// and -t is its --type, so `-ti` would otherwise read as "-t i".
std::vector<std::string> take_docker_terminal_flags(
    std::vector<std::string>& cntr_args, const std::vector<std::string>& options_with_value);

// The candidate closest to `word` by edit distance, if it is close enough to be
// a typo of it (at most 2 edits, and fewer than half of its letters).
std::optional<std::string> nearest_word(const std::string& word,
                                        const std::vector<std::string>& candidates);

}  // namespace cntr
