// The session's environment: the container process's own variables, with the
// tools' PATH in place of the container's (the container's goes to
// CNTR_CONTAINER_PATH so `cntr exec` can restore it), TERM from the user's
// terminal when the container has none, and TZ pointing at the container's
// timezone so `date` agrees with the app rather than with the tools.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace cntr {

inline constexpr const char* kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
inline constexpr const char* kContainerPathVar = "CNTR_CONTAINER_PATH";

struct SessionEnvironmentInput {
    std::vector<std::string> container_env;  // NAME=value entries of /proc/PID/environ
    std::string tools_path;
    std::optional<std::string> term;  // only set when the session has a terminal
    std::optional<std::string> tz;    // from the container's /etc/localtime
};

std::vector<std::string> session_environment(const SessionEnvironmentInput& in);
// Value of NAME in a NAME=value list.
std::optional<std::string> env_lookup(const std::vector<std::string>& env, const std::string& name);
// Sets or replaces NAME in a NAME=value list.
void env_set(std::vector<std::string>& env, const std::string& name, const std::string& value);

// TZ for a container whose /etc/localtime is `link_target` (if a symlink) or a
// regular file (`is_regular_file`): "Area/City" for links into a zoneinfo
// tree, the session path of the file otherwise, "UTC" when there is none.
std::string timezone_for(std::optional<std::string> link_target, bool is_regular_file);

}  // namespace cntr
