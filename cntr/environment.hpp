// The session's environment: the container process's own variables, filtered
// and extended by the profile's env policy, with PATH built by its PATH
// policy (default: the tools' PATH only). The container's PATH is always kept
// in CNTR_CONTAINER_PATH so `cntr exec` can restore it; TERM comes from the
// user's terminal when the container has none, and TZ points at the
// container's timezone so `date` agrees with the app rather than the tools.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cntr {

inline constexpr const char* kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
inline constexpr const char* kContainerPathVar = "CNTR_CONTAINER_PATH";
// Where the session sees the container's root.
inline constexpr const char* kContainerMountPoint = "/var/lib/cntr";

struct EnvPolicy {
    enum class Inherit { all, none, list };
    Inherit inherit = Inherit::all;
    std::vector<std::string> inherit_names;  // with Inherit::list
    std::map<std::string, std::string> set;
    std::vector<std::string> unset;
};

enum class PathPolicy { tools_only, tools_first, container_first };
std::optional<PathPolicy> parse_path_policy(const std::string& s);
const char* path_policy_name(PathPolicy p);

struct SessionEnvironmentInput {
    std::vector<std::string> container_env;  // NAME=value entries of /proc/PID/environ
    std::string tools_path;
    std::optional<std::string> term;  // only set when the session has a terminal
    std::optional<std::string> tz;    // from the container's /etc/localtime
    EnvPolicy env;
    PathPolicy path = PathPolicy::tools_only;
    // Set last, over the container's and the profile's (CNTR_SESSION, CNTR_CONTAINER).
    std::map<std::string, std::string> session_vars;
};

// Builds the attach session's environment. Variables that make a program
// load or run other code (is_startup_variable) are never inherited from the
// container, whose process can rewrite its environ at any time: the host's
// tools must not run the container's code. A profile that names one in
// `env.set` or an `inherit` list still gets it.
std::vector<std::string> session_environment(const SessionEnvironmentInput& in);
// LD_*, GCONV_PATH, BASH_ENV, PYTHONSTARTUP, PERL5OPT, MALLOC_*, ... (environment.cpp).
bool is_startup_variable(std::string_view name);
// The PATH a policy gives for the tools' PATH and the container's PATH.
std::string session_path(PathPolicy policy, const std::string& tools_path,
                         const std::string& container_path);
// Value of NAME in a NAME=value list.
std::optional<std::string> env_lookup(const std::vector<std::string>& env, const std::string& name);
// Sets or replaces NAME in a NAME=value list.
void env_set(std::vector<std::string>& env, const std::string& name, const std::string& value);
void env_unset(std::vector<std::string>& env, const std::string& name);

// TZ for a container whose /etc/localtime is `link_target` (if a symlink) or a
// regular file (`is_regular_file`): "Area/City" for links into a zoneinfo
// tree, the session path of the file otherwise, "UTC" when there is none.
std::string timezone_for(std::optional<std::string> link_target, bool is_regular_file);

}  // namespace cntr
