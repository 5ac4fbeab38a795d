#include "environment.hpp"

#include <algorithm>
#include <sstream>

namespace cntr {

std::optional<PathPolicy> parse_path_policy(const std::string& s) {
    if (s == "tools-only") return PathPolicy::tools_only;
    if (s == "tools-first") return PathPolicy::tools_first;
    if (s == "container-first") return PathPolicy::container_first;
    return std::nullopt;
}

const char* path_policy_name(PathPolicy p) {
    switch (p) {
        case PathPolicy::tools_only:
            return "tools-only";
        case PathPolicy::tools_first:
            return "tools-first";
        case PathPolicy::container_first:
            return "container-first";
    }
    return "?";
}

std::optional<std::string> env_lookup(const std::vector<std::string>& env,
                                      const std::string& name) {
    const std::string prefix = name + "=";
    for (const auto& e : env)
        if (e.starts_with(prefix)) return e.substr(prefix.size());
    return std::nullopt;
}

void env_unset(std::vector<std::string>& env, const std::string& name) {
    const std::string prefix = name + "=";
    std::erase_if(env, [&](const std::string& e) { return e.starts_with(prefix); });
}

void env_set(std::vector<std::string>& env, const std::string& name, const std::string& value) {
    env_unset(env, name);
    env.push_back(name + "=" + value);
}

std::string session_path(PathPolicy policy, const std::string& tools_path,
                         const std::string& container_path) {
    // The container's directories, as the session sees them.
    std::string inside;
    std::istringstream in(container_path);
    for (std::string dir; std::getline(in, dir, ':');) {
        if (dir.empty() || dir[0] != '/') continue;  // relative entries make no sense here
        inside += (inside.empty() ? "" : ":") + std::string(kContainerMountPoint) + dir;
    }
    auto join = [](const std::string& a, const std::string& b) {
        return a.empty() ? b : b.empty() ? a : a + ":" + b;
    };
    switch (policy) {
        case PathPolicy::tools_only:
            return tools_path;
        case PathPolicy::tools_first:
            return join(tools_path, inside);
        case PathPolicy::container_first:
            return join(inside, tools_path);
    }
    return tools_path;
}

bool is_startup_variable(std::string_view name) {
    // The dynamic loader's and glibc's (code to load, allocator hooks, locale
    // and resolver files), the shells' startup files and hooks, and the
    // interpreters' and pagers' "run this first" options.
    static constexpr std::string_view kPrefixes[] = {"LD_", "MALLOC_", "BASH_FUNC_"};
    static constexpr std::string_view kNames[] = {"GCONV_PATH",
                                                  "GLIBC_TUNABLES",
                                                  "LOCPATH",
                                                  "NLSPATH",
                                                  "HOSTALIASES",
                                                  "RES_OPTIONS",
                                                  "LOCALDOMAIN",
                                                  "TZDIR",
                                                  "BASH_ENV",
                                                  "ENV",
                                                  "IFS",
                                                  "CDPATH",
                                                  "SHELLOPTS",
                                                  "BASHOPTS",
                                                  "PS4",
                                                  "PROMPT_COMMAND",
                                                  "ZDOTDIR",
                                                  "INPUTRC",
                                                  "PYTHONSTARTUP",
                                                  "PYTHONPATH",
                                                  "PYTHONHOME",
                                                  "PYTHONINSPECT",
                                                  "PERL5OPT",
                                                  "PERL5LIB",
                                                  "PERLLIB",
                                                  "PERL5DB",
                                                  "RUBYOPT",
                                                  "RUBYLIB",
                                                  "NODE_OPTIONS",
                                                  "NODE_PATH",
                                                  "LESSOPEN",
                                                  "LESSCLOSE",
                                                  "PAGER",
                                                  "MANPAGER",
                                                  "GIT_PAGER",
                                                  "EDITOR",
                                                  "VISUAL",
                                                  "BROWSER",
                                                  "GIT_SSH_COMMAND",
                                                  "GIT_EXEC_PATH",
                                                  "GIT_CONFIG_GLOBAL",
                                                  "XDG_CONFIG_HOME",
                                                  "XDG_DATA_HOME",
                                                  "HOME_ETC",
                                                  "TERMINFO",
                                                  "TERMINFO_DIRS",
                                                  "VIMINIT",
                                                  "EXINIT",
                                                  "MYVIMRC",
                                                  "GDBHISTFILE",
                                                  "OPENSSL_CONF",
                                                  "OPENSSL_ENGINES",
                                                  "SSL_CERT_FILE",
                                                  "SSL_CERT_DIR",
                                                  "TMUX_TMPDIR"};
    for (auto p : kPrefixes)
        if (name.starts_with(p)) return true;
    for (auto n : kNames)
        if (name == n) return true;
    return false;
}

std::vector<std::string> session_environment(const SessionEnvironmentInput& in) {
    const std::string container_path = env_lookup(in.container_env, "PATH").value_or(kDefaultPath);
    std::vector<std::string> env;
    for (const auto& e : in.container_env) {
        auto eq = e.find('=');
        if (eq == std::string::npos || e.starts_with("PATH=")) continue;
        const std::string name = e.substr(0, eq);
        const bool named =
            in.env.inherit == EnvPolicy::Inherit::list &&
            std::ranges::find(in.env.inherit_names, name) != in.env.inherit_names.end();
        const bool keep =
            named || (in.env.inherit == EnvPolicy::Inherit::all && !is_startup_variable(name));
        if (keep) env.push_back(e);
    }
    if (in.term && !env_lookup(env, "TERM")) env_set(env, "TERM", *in.term);
    if (in.tz && !env_lookup(env, "TZ")) env_set(env, "TZ", *in.tz);
    env_set(env, "PATH",
            session_path(in.path, in.tools_path.empty() ? kDefaultPath : in.tools_path,
                         container_path));
    for (const auto& [name, value] : in.env.set) env_set(env, name, value);
    for (const auto& name : in.env.unset) env_unset(env, name);
    env_set(env, kContainerPathVar, container_path);
    for (const auto& [name, value] : in.session_vars) env_set(env, name, value);
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
    if (is_regular_file) return ":" + std::string(kContainerMountPoint) + "/etc/localtime";
    return "UTC";
}

}  // namespace cntr
