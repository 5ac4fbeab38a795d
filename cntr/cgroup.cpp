// Joining the container's cgroups makes the session count against the
// container's limits and show up in its accounting, like `docker exec`.
#include <sys/stat.h>

#include "credentials.hpp"
#include "error.hpp"
#include "file_io.hpp"

namespace cntr {
namespace {
bool file_exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}
}  // namespace

void join_cgroups(const ProcessContext& ctx) {
    const std::string own = "\n" + read_file("/proc/self/cgroup");
    for (const auto& line : ctx.cgroups) {
        // Already a member (e.g. a rootless container without cgroup
        // delegation): nothing to write, which unprivileged cntr could not.
        if (own.find("\n" + line + "\n") != std::string::npos) continue;
        // "hierarchy-id:controllers:path"; the unified (v2) hierarchy is "0::path".
        auto first = line.find(':');
        auto second = line.find(':', first + 1);
        if (first == std::string::npos || second == std::string::npos) continue;
        std::string controllers = line.substr(first + 1, second - first - 1);
        std::string path = line.substr(second + 1);
        if (path.find("/..") != std::string::npos)
            throw UserError("suspicious cgroup path " + path);
        std::string base;
        if (controllers.empty()) {
            // Hybrid v1 hosts mount the unified hierarchy on .../unified.
            base = file_exists("/sys/fs/cgroup/cgroup.controllers") ? "/sys/fs/cgroup"
                                                                    : "/sys/fs/cgroup/unified";
        } else {
            if (controllers.starts_with("name=")) controllers = controllers.substr(5);
            base = "/sys/fs/cgroup/" + controllers;
        }
        // With cgroup v1 the unified line points at an optional extra mount.
        std::string procs = base + path + (path.ends_with('/') ? "" : "/") + "cgroup.procs";
        try {
            write_file(procs, "0");
        } catch (const SysError& e) {
            if (e.code() == ENOENT && !file_exists(base)) continue;  // hierarchy not mounted here
            throw UserError("cannot join the container's cgroup (" + procs + "): " + e.what());
        }
    }
}

}  // namespace cntr
