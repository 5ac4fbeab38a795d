#include "elevation.hpp"

#include <array>
#include <sstream>
#include <utility>

#include "error.hpp"
#include "log.hpp"

namespace cntr {
namespace {

using Layer = std::pair<const char*, bool Elevation::*>;
constexpr std::array<Layer, 7> kLayers{{{"seccomp", &Elevation::seccomp},
                                        {"caps", &Elevation::caps},
                                        {"lsm", &Elevation::lsm},
                                        {"cgroup", &Elevation::cgroup},
                                        {"limits", &Elevation::limits},
                                        {"keyring", &Elevation::keyring},
                                        {"fence", &Elevation::fence}}};

}  // namespace

void parse_elevation(const std::string& list, Elevation& into) {
    std::istringstream in(list);
    for (std::string name; std::getline(in, name, ',');) {
        if (name.empty()) continue;
        bool known = false;
        for (const auto& [layer, member] : kLayers) {
            if (name == layer || name == "all") {
                into.*member = true;
                known = true;
            }
        }
        if (!known)
            throw UserError("unknown layer '" + name +
                            "' to elevate; known layers: " + kElevationLayers + ", or all");
    }
}

std::string elevation_names(const Elevation& e) {
    std::string out;
    for (const auto& [layer, member] : kLayers)
        if (e.*member) out += (out.empty() ? "" : ",") + std::string(layer);
    return out;
}

void warn_about_elevation(const Elevation& e) {
    if (!e.any()) return;
    log::warn(
        "elevated session: the container's {} confinement is NOT applied; a process of "
        "the container may gain through this session what it could not without it",
        elevation_names(e));
}

}  // namespace cntr
