#include "session_banner.hpp"

#include "environment.hpp"

namespace cntr {
namespace {

// A name may come from the container (a command-line pattern's match, a
// label): what reaches the admin's terminal or prompt is plain printable ASCII,
// so it cannot carry escape sequences.
std::string printable(const std::string& s) {
    constexpr size_t kMaxLength = 64;
    std::string out;
    for (char c : s.substr(0, kMaxLength)) out += c >= 0x20 && c < 0x7f ? c : '?';
    return out;
}

}  // namespace

std::string session_banner(const std::string& container, const std::string& engine,
                           const std::string& tools) {
    return "cntr: attached to " + printable(container) + " (" + printable(engine) +
           "), tools: " + printable(tools) + ", the container's root is " + kContainerMountPoint +
           "; exit or Ctrl-D to leave";
}

std::map<std::string, std::string> session_variables(const std::string& container,
                                                     const std::string& engine) {
    return {{"CNTR_SESSION", printable(engine) + ":" + printable(container)},
            {"CNTR_CONTAINER", printable(container)}};
}

}  // namespace cntr
