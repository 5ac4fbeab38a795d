// `--user` / the profile's `user`: run the session as another user of the
// container, named as the container knows it (its /etc/passwd and /etc/group,
// read inside its root).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "process_context.hpp"

namespace cntr {

struct ContainerUser {
    uint32_t uid = 0, gid = 0;  // inside the container's user namespace
    std::vector<uint32_t> groups;
    // From the user's passwd entry; unset for a uid the container's passwd lacks.
    std::optional<std::string> name, home, shell;
};

// "NAME", "UID", "NAME:GROUP", "UID:GID". Throws UserError naming what is unknown.
ContainerUser resolve_container_user(const std::string& spec, const std::string& passwd,
                                     const std::string& group);

// Replaces ctx's credentials by `spec`'s (translated to the host's view), and
// HOME, USER, LOGNAME and SHELL of its environment by the user's passwd entry,
// as `docker exec -u` sets HOME (a uid without an entry: HOME=/, the others unset).
void override_session_user(ProcessContext& ctx, const std::string& spec);

// The inverse of map_to_inside.
std::optional<uint32_t> map_to_outside(const std::vector<IdMapEntry>& map, uint32_t inside);

}  // namespace cntr
