// Container name → host PID.
//
// Each engine is one small ContainerResolver; nothing else in cntr knows which
// engine a container came from. resolve_container() tries the engines the
// user allowed (-t), in a fixed order, and the first that knows the name wins.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cntr {

struct ResolvedContainer {
    pid_t pid;
    std::string engine;  // which resolver found it
};

class ContainerResolver {
  public:
    virtual ~ContainerResolver() = default;
    [[nodiscard]] virtual std::string_view name() const = 0;
    // nullopt when this engine does not know `container` (or is not running).
    // Throws UserError when it knows the container but it cannot be attached
    // (stopped, paused), so the user learns why instead of "not found".
    virtual std::optional<pid_t> resolve(const std::string& container) = 0;
};

std::unique_ptr<ContainerResolver> make_docker_resolver();
std::unique_ptr<ContainerResolver> make_process_id_resolver();
std::unique_ptr<ContainerResolver> make_command_resolver();

// The engine types accepted by -t, in the order they are tried by default.
std::vector<std::string> known_container_types();
std::vector<std::string> default_container_types();
// Parses "docker,process_id"; throws UserError naming an unknown type.
std::vector<std::string> parse_container_types(std::string_view list);

ResolvedContainer resolve_container(const std::string& container,
                                    const std::vector<std::string>& types);

}  // namespace cntr
