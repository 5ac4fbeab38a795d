#include "environment.hpp"

#include <algorithm>

namespace cntr {

std::optional<std::string> env_lookup(const std::vector<std::string>& env,
                                      const std::string& name) {
    const std::string prefix = name + "=";
    for (const auto& e : env)
        if (e.starts_with(prefix)) return e.substr(prefix.size());
    return std::nullopt;
}

void env_set(std::vector<std::string>& env, const std::string& name, const std::string& value) {
    const std::string prefix = name + "=";
    std::erase_if(env, [&](const std::string& e) { return e.starts_with(prefix); });
    env.push_back(prefix + value);
}

std::vector<std::string> session_environment(const SessionEnvironmentInput& in) {
    std::vector<std::string> env;
    for (const auto& e : in.container_env)
        if (e.find('=') != std::string::npos && !e.starts_with("PATH=")) env.push_back(e);
    env_set(env, kContainerPathVar, env_lookup(in.container_env, "PATH").value_or(kDefaultPath));
    env_set(env, "PATH", in.tools_path.empty() ? kDefaultPath : in.tools_path);
    if (in.term && !env_lookup(env, "TERM")) env_set(env, "TERM", *in.term);
    if (in.tz && !env_lookup(env, "TZ")) env_set(env, "TZ", *in.tz);
    return env;
}

std::string timezone_for(std::optional<std::string> link_target, bool is_regular_file) {
    if (link_target) {
        constexpr std::string_view kZoneinfo = "zoneinfo/";
        if (auto pos = link_target->rfind(kZoneinfo); pos != std::string::npos)
            return link_target->substr(pos + kZoneinfo.size());
        return "UTC";
    }
    // glibc reads a TZif file named by TZ=":PATH"; this path is the
    // container's own file as the session sees it.
    if (is_regular_file) return ":/var/lib/cntr/etc/localtime";
    return "UTC";
}

}  // namespace cntr
