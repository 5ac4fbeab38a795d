#include "command_line.hpp"

#include <algorithm>

namespace cntr {

SplitCommandLine split_command_line(const std::vector<std::string>& args,
                                    const std::vector<std::string>& options_with_value,
                                    bool container_required) {
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
        if (seen_positional) {
            // A second positional: the command without "--" (cntr attach c ls -l).
            out.cntr_args.pop_back();
            out.command.assign(args.begin() + static_cast<long>(i), args.end());
            return out;
        }
        seen_positional = true;
    }
    return out;
}

}  // namespace cntr
