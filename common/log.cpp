#include "log.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

namespace cntr::log {
namespace {
std::string g_program = "cntr";
std::atomic<bool> g_verbose{std::getenv("CNTR_DEBUG") != nullptr};
}  // namespace

void set_program(std::string_view name) { g_program = name; }
void set_verbose(bool on) { g_verbose = on; }
bool verbose() { return g_verbose; }

void write_line(std::string_view level, std::string_view text) {
    // One write(2) per line so lines of concurrent processes do not interleave.
    std::string line = fmt::format("{}: {}: {}\n", g_program, level, text);
    [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace cntr::log
