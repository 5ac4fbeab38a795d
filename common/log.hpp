// Diagnostics on stderr, prefixed with the program name. Verbose messages are
// off unless -v / CNTR_DEBUG=1 turned them on.
#pragma once

#include <fmt/core.h>

#include <string_view>

namespace cntr::log {

void set_program(std::string_view name);
void set_verbose(bool on);
bool verbose();
void write_line(std::string_view level, std::string_view text);

template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
    if (verbose()) write_line("debug", fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
    write_line("warning", fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
    write_line("error", fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace cntr::log
