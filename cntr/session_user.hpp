// `--user` / the profile's `user`: run the session as another user of the
// container, named as the container knows it (its /etc/passwd and /etc/group,
// read inside its root).
#pragma once

#include <string>

#include "process_context.hpp"

namespace cntr {

struct ContainerUser {
    uint32_t uid = 0, gid = 0;  // inside the container's user namespace
    std::vector<uint32_t> groups;
};

// "NAME", "UID", "NAME:GROUP", "UID:GID". Throws UserError naming what is unknown.
ContainerUser resolve_container_user(const std::string& spec, const std::string& passwd,
                                     const std::string& group);

// Replaces ctx's credentials by `spec`'s (translated to the host's view).
void override_session_user(ProcessContext& ctx, const std::string& spec);

// The inverse of map_to_inside.
std::optional<uint32_t> map_to_outside(const std::vector<IdMapEntry>& map, uint32_t inside);

}  // namespace cntr
