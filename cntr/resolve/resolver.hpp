// Container name → host PID, for every engine.
//
// Each engine is one small ContainerResolver (one file each); nothing else in
// cntr knows which engine a container came from. resolve_container() asks
// every engine the user allowed (-t), in the fixed order of resolver.cpp, and
// collects all matches: exactly one running container must answer, otherwise
// the error lists the candidates with the -t that picks each. Two engines that
// report the same process (docker and containerd's "moby" namespace) are one
// container, the first engine's view wins.
//
// Engines are cheap to ask when they do not know a name: each first checks
// something on the file system (a socket, a state directory, a store file)
// before it would start a CLI, so the default order stays fast.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "error.hpp"

namespace cntr {

// Thrown by find() and list() when the engine is installed but cannot be asked
// (its daemon is down, its socket refuses this user). The message starts with the
// engine's name and says what to do. An unreachable engine is not "no such
// container": resolve_container() reports it when no other engine matched.
class EngineUnreachable : public UserError {
  public:
    using UserError::UserError;
};

// One container as an engine sees it.
struct ContainerInfo {
    std::string engine;  // the -t type
    std::string name;    // the engine's own name (what the user types)
    std::string id;
    pid_t pid = 0;      // init process on the host; 0 when not running
    std::string image;  // "" when the engine has no such notion
    // Non-empty when the container exists but cannot be attached (stopped,
    // paused): what is wrong and the command that fixes it.
    std::string not_attachable;
};

class ContainerResolver {
  public:
    virtual ~ContainerResolver() = default;
    [[nodiscard]] virtual std::string_view name() const = 0;
    // Whether the engine is present at all (its CLI or socket). With -t a
    // missing engine is an error carrying missing_hint().
    [[nodiscard]] virtual bool installed() const = 0;
    [[nodiscard]] virtual std::string missing_hint() const = 0;
    // Every container this engine knows by `container` (name, id or unique id
    // prefix; usually zero or one). Throws UserError when the engine itself
    // fails in a way the user must hear about.
    virtual std::vector<ContainerInfo> find(const std::string& container) = 0;
    // Every running container, for `cntr ps`.
    virtual std::vector<ContainerInfo> list() = 0;
    // False for the matchers of plain processes (process_id, command), which have
    // no containers to list: `cntr ps` does not count them as engines it asked.
    [[nodiscard]] virtual bool lists_containers() const { return true; }

    // find() reduced to one attachable PID; nullopt when unknown. Throws
    // UserError for a stopped/paused container or several matches.
    std::optional<pid_t> resolve(const std::string& container);
};

std::unique_ptr<ContainerResolver> make_docker_resolver();
std::unique_ptr<ContainerResolver> make_podman_resolver();
std::unique_ptr<ContainerResolver> make_lxc_resolver();
std::unique_ptr<ContainerResolver> make_lxd_resolver();
std::unique_ptr<ContainerResolver> make_nspawn_resolver();
std::unique_ptr<ContainerResolver> make_containerd_resolver();
std::unique_ptr<ContainerResolver> make_kubernetes_resolver();
std::unique_ptr<ContainerResolver> make_rkt_resolver();
std::unique_ptr<ContainerResolver> make_cgroup_id_resolver();
std::unique_ptr<ContainerResolver> make_process_id_resolver();
std::unique_ptr<ContainerResolver> make_command_resolver();
std::unique_ptr<ContainerResolver> make_resolver(std::string_view type);

// The engine types accepted by -t, in the order they are tried by default.
std::vector<std::string> known_container_types();
std::vector<std::string> default_container_types();
// Parses "docker,process_id"; throws UserError naming an unknown type.
std::vector<std::string> parse_container_types(std::string_view list);

struct ResolvedContainer {
    pid_t pid;
    std::string engine;  // which resolver found it
    std::string name;
};

// `types` equal to default_container_types() means "-t not given": engines
// that are not installed are skipped quietly. Otherwise a requested engine
// that is not installed is an error.
ResolvedContainer resolve_container(const std::string& container,
                                    const std::vector<std::string>& types);

// Every running container of the given engines (engines not installed are
// skipped), for `cntr ps`.
struct ContainerList {
    std::vector<ContainerInfo> containers;
    std::vector<std::string> asked;     // engines that answered
    std::vector<std::string> failures;  // "ENGINE: why it could not be asked"
};
ContainerList list_containers(const std::vector<std::string>& types);

}  // namespace cntr
