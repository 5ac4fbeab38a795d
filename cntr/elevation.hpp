// Named elevation: each confinement layer a session normally copies from the
// container can be lifted on purpose, by name, with a warning at session start
// (like lxc-attach's --elevated-privileges). Nothing is ever lifted silently.
#pragma once

#include <string>

namespace cntr {

struct Elevation {
    bool seccomp = false;  // no seccomp filter in the session
    bool caps = false;     // the command keeps cntr's full capability sets
    bool lsm = false;      // no AppArmor/SELinux label switch
    bool cgroup = false;   // the session stays in cntr's cgroups
    bool limits = false;   // cntr's rlimits, oom_score_adj, umask and personality
    bool keyring = false;  // the command keeps cntr's session keyring
    bool fence = false;    // no ptrace fence: the container may ptrace the session

    [[nodiscard]] bool any() const {
        return seccomp || caps || lsm || cgroup || limits || keyring || fence;
    }
};

inline constexpr const char* kElevationLayers =
    "seccomp, caps, lsm, cgroup, limits, keyring, fence";

// "seccomp,caps" (comma-separated, "all" for every layer) added to `into`.
// Throws UserError naming the unknown layer and the known ones.
void parse_elevation(const std::string& list, Elevation& into);
// The lifted layers, comma-separated ("" when none).
std::string elevation_names(const Elevation& e);
// Warns on stderr when any layer is lifted.
void warn_about_elevation(const Elevation& e);

}  // namespace cntr
