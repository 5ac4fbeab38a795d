// cntr ps: asks every installed engine for its running containers (the same
// resolvers attach uses, so what ps shows is what attach can find) and prints
// engine, name, id, PID, image and uptime. Uptime comes from the init
// process's start time in /proc, the same for every engine. An engine that
// fails or cannot be asked (daemon down, socket not ours) is reported on
// stderr with the reason and the others are still listed; the exit status is
// then 1. When no engine could be asked there is no list to show: an empty
// table would read as "no containers", so it is an error (125).
#include "ps_command.hpp"

#include <unistd.h>

#include <fmt/core.h>
#include <algorithm>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "error.hpp"
#include "file_io.hpp"
#include "log.hpp"
#include "process_context.hpp"
#include "resolve/resolver.hpp"

namespace cntr {

long process_uptime_seconds(pid_t pid) {
    try {
        // Field 22: starttime, clock ticks since boot.
        const auto fields = proc_stat_fields(read_file("/proc/" + std::to_string(pid) + "/stat"));
        if (fields.size() <= 19) return -1;
        const double start = std::stod(fields[19]) / static_cast<double>(::sysconf(_SC_CLK_TCK));
        const double up = std::stod(read_file("/proc/uptime"));
        return std::max(0L, static_cast<long>(up - start));
    } catch (const std::exception&) {
        return -1;
    }
}

std::string format_uptime(long s) {
    if (s < 0) return "-";
    const long d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60, sec = s % 60;
    if (d > 0) return fmt::format("{}d{}h", d, h);
    if (h > 0) return fmt::format("{}h{:02}m", h, m);
    if (m > 0) return fmt::format("{}m{:02}s", m, sec);
    return fmt::format("{}s", sec);
}

int run_ps(const PsOptions& opts) {
    if (opts.format != "table" && opts.format != "json")
        throw UserError("unknown --format '" + opts.format + "'; use table or json");
    auto [containers, asked, failures] = list_containers(opts.types);
    if (asked.empty()) {
        if (failures.empty()) {
            std::string looked_for;
            for (const auto& t : opts.types) looked_for += (looked_for.empty() ? "" : ", ") + t;
            throw UserError("no container engine is installed (looked for: " + looked_for + ")");
        }
        std::string msg = "could not ask any container engine:";
        for (const auto& f : failures) msg += "\n  " + f;
        throw UserError(msg);
    }
    for (const auto& f : failures) log::warn("not listed: {}", f);

    if (opts.format == "json") {
        auto out = nlohmann::json::array();
        for (const auto& c : containers)
            out.push_back({{"engine", c.engine},
                           {"name", c.name},
                           {"id", c.id},
                           {"pid", c.pid},
                           {"image", c.image},
                           {"uptime_seconds", process_uptime_seconds(c.pid)}});
        std::cout << out.dump(2) << '\n';
    } else {
        std::vector<std::array<std::string, 6>> rows{
            {"ENGINE", "NAME", "ID", "PID", "IMAGE", "UPTIME"}};
        for (const auto& c : containers)
            rows.push_back({c.engine, c.name, c.id.substr(0, 12), std::to_string(c.pid),
                            c.image.empty() ? "-" : c.image,
                            format_uptime(process_uptime_seconds(c.pid))});
        std::array<size_t, 6> width{};
        for (const auto& r : rows)
            for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
        for (const auto& r : rows) {
            std::string line;
            for (size_t i = 0; i < r.size(); ++i) {
                line += r[i];
                if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
            }
            std::cout << line << '\n';
        }
    }
    return failures.empty() ? 0 : 1;
}

}  // namespace cntr

namespace cntr {

int run_resolve(const std::string& container, const std::vector<std::string>& types) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = resolve_container(container, types);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::cout << r.engine << ' ' << r.pid << ' ' << r.name << '\n';
    std::cerr << fmt::format("resolved in {:.2f} ms\n", ms);
    return 0;
}

}  // namespace cntr
