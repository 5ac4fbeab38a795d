#include "command_line.hpp"

#include <algorithm>
#include <array>

namespace cntr {

SplitCommandLine split_command_line(const std::vector<std::string>& args,
                                    const std::vector<std::string>& options_with_value,
                                    bool container_required, bool command_first) {
    SplitCommandLine out;
    bool seen_positional = false;
    bool options_ended = false;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--") {
            if (seen_positional || (!container_required && !options_ended)) {
                out.command.assign(args.begin() + static_cast<long>(i) + 1, args.end());
                return out;
            }
            options_ended = true;
            out.cntr_args.push_back(a);
            continue;
        }
        out.cntr_args.push_back(a);
        if (!options_ended && a.size() > 1 && a[0] == '-') {
            if (std::ranges::find(options_with_value, a) != options_with_value.end() &&
                i + 1 < args.size())
                out.cntr_args.push_back(args[++i]);
            continue;
        }
        if (seen_positional || command_first) {
            // A second positional: the command without "--" (cntr attach c ls -l).
            out.cntr_args.pop_back();
            out.command.assign(args.begin() + static_cast<long>(i), args.end());
            return out;
        }
        seen_positional = true;
    }
    return out;
}

std::vector<std::string> take_docker_terminal_flags(
    std::vector<std::string>& cntr_args, const std::vector<std::string>& options_with_value) {
    static constexpr std::array<std::string_view, 5> kDockerFlags = {"-i", "-it", "-ti",
                                                                     "--interactive", "--tty"};
    std::vector<std::string> taken;
    std::vector<std::string> kept;
    for (size_t i = 0; i < cntr_args.size(); ++i) {
        const std::string& a = cntr_args[i];
        if (a == "--") {
            kept.insert(kept.end(), cntr_args.begin() + static_cast<long>(i), cntr_args.end());
            break;
        }
        if (std::ranges::find(kDockerFlags, a) != kDockerFlags.end()) {
            taken.push_back(a);
            continue;
        }
        kept.push_back(a);
        if (std::ranges::find(options_with_value, a) != options_with_value.end() &&
            i + 1 < cntr_args.size())
            kept.push_back(cntr_args[++i]);
    }
    cntr_args = std::move(kept);
    return taken;
}

namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
    // Damerau's transpositions count as one edit: "attahc" is one away from "attach".
    std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
    for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[a.size()][b.size()];
}

}  // namespace

std::optional<std::string> nearest_word(const std::string& word,
                                        const std::vector<std::string>& candidates) {
    std::optional<std::string> best;
    size_t best_distance = 3;
    for (const auto& c : candidates) {
        const size_t d = edit_distance(word, c);
        if (d < best_distance && 2 * d < std::max(word.size(), c.size())) {
            best = c;
            best_distance = d;
        }
    }
    return best;
}

}  // namespace cntr
