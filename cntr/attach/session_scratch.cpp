#include "session_scratch.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <array>
#include <string>

#include "environment.hpp"
#include "error.hpp"
#include "log.hpp"
#include "mount_api.hpp"

namespace cntr {
namespace {

constexpr std::array kSharedScratch = {"/tmp", "/var/tmp"};

// A tmpfs owned by host ids `uid`:`gid` (the superblock is created in the host's
// user namespace, where the session child still is).
Fd scratch_tmpfs(uid_t uid, gid_t gid, mode_t mode) {
    const std::string options = "mode=" + std::to_string(mode >> 9 & 07) +
                                std::to_string(mode >> 6 & 07) + std::to_string(mode >> 3 & 07) +
                                std::to_string(mode & 07) + ",uid=" + std::to_string(uid) +
                                ",gid=" + std::to_string(gid);
    return make_detached_mount("tmpfs", "cntr-scratch", options,
                               MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
}

bool is_directory(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Only a plain path to a home directory: no "..", ".", empty parts or symlinks
// (lstat of every prefix is not needed: the path is checked in the tools, whose
// symlinks the container cannot change, and the last part must be a directory
// when the scratch is mounted).
bool plain_home_path(const std::string& home) {
    if (home != "/root" && !home.starts_with("/home/")) return false;
    return home.size() < 256 && home.find("/./") == std::string::npos &&
           home.find("/../") == std::string::npos && home.find("//") == std::string::npos &&
           !home.ends_with("/..") && !home.ends_with("/.") && !home.ends_with("/");
}

// The host id the container's root (inside id 0) has, for /tmp's owner.
uint32_t container_root_id(const std::vector<IdMapEntry>& map) {
    for (const auto& e : map)
        if (e.inside == 0) return e.outside;
    return 0;
}

}  // namespace

std::vector<std::string> session_scratch_directories(const ProcessContext& ctx) {
    std::vector<std::string> out(kSharedScratch.begin(), kSharedScratch.end());
    if (const auto home = env_lookup(ctx.environ, "HOME"); home && plain_home_path(*home))
        out.push_back(*home);
    return out;
}

void mount_session_scratch(const ProcessContext& ctx) {
    const uid_t root_uid = container_root_id(ctx.uid_map);
    const gid_t root_gid = container_root_id(ctx.gid_map);
    for (const char* dir : kSharedScratch) {
        if (!is_directory(dir)) {
            log::debug("the tools have no directory {}; the session has no scratch {}", dir, dir);
            continue;
        }
        attach_mount(scratch_tmpfs(root_uid, root_gid, 01777).get(), AT_FDCWD, dir);
    }
    const auto home = env_lookup(ctx.environ, "HOME");
    if (!home || !plain_home_path(*home) || !is_directory(*home)) {
        log::debug("no scratch home directory for HOME={}", home.value_or("(unset)"));
        return;
    }
    attach_mount(scratch_tmpfs(ctx.creds.uid, ctx.creds.gid, 0700).get(), AT_FDCWD, *home);
}

}  // namespace cntr
