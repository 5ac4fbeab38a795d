#include "engine_support.hpp"

#include <unistd.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace cntr::test {

std::string unique_name(const std::string& what) {
    static std::atomic<int> counter{0};
    return "cntrt-" + what + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

std::string must(const std::string& script) {
    auto r = sh(script);
    if (r.exit_code != 0)
        throw std::runtime_error("'" + script + "' failed (" + std::to_string(r.exit_code) +
                                 "): " + r.err);
    return trim(r.out);
}

ProcessResult cntr_env(const std::vector<std::string>& env, const std::vector<std::string>& args) {
    std::vector<std::string> argv{"env"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.push_back(kCntr);
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
}

std::string ps_rows(const std::vector<std::string>& env) {
    auto r = cntr_env(env, {"ps", "--format", "json"});
    if (r.exit_code != 0) return "cntr ps failed: " + r.err;
    auto json = nlohmann::json::parse(r.out, nullptr, false);
    if (!json.is_array()) return "cntr ps printed no JSON array: " + r.out;
    std::string rows;
    for (const auto& c : json)
        rows += c.value("engine", "") + " " + c.value("name", "") + " " +
                std::to_string(c.value("pid", 0)) + "\n";
    return rows;
}

}  // namespace cntr::test
