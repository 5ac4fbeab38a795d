// cntr ps: every attachable container of every engine, in one table.
#pragma once

#include <string>
#include <vector>

namespace cntr {

struct PsOptions {
    std::string format = "table";    // "table" or "json"
    std::vector<std::string> types;  // engines to list, in order
};

int run_ps(const PsOptions& opts);

// Seconds since `pid` started (from /proc); -1 when it is gone.
long process_uptime_seconds(pid_t pid);
// "3d4h", "2h05m", "4m10s", "12s".
std::string format_uptime(long seconds);

}  // namespace cntr

namespace cntr {
// Hidden `cntr resolve NAME`: prints "ENGINE PID NAME" and how long the
// engines took (stderr), for the attach-latency benchmark and debugging.
int run_resolve(const std::string& container, const std::vector<std::string>& types);
}  // namespace cntr
