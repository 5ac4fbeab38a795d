#include "preflight.hpp"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include <fmt/core.h>

#include "error.hpp"
#include "fd.hpp"

namespace cntr {

namespace {

constexpr cap_value_t kFullMode[] = {CAP_SYS_ADMIN, CAP_SYS_CHROOT, CAP_SYS_PTRACE,  CAP_SETUID,
                                     CAP_SETGID,    CAP_SETPCAP,    CAP_DAC_OVERRIDE};
// In a user namespace it owns, the caller already holds every capability
// (the kernel grants them to the owner in the parent namespace), so setns
// into it, setuid/setgid and ptrace access to its processes need nothing
// more. What remains are the operations checked against the initial user
// namespace: setns into a mount namespace and chroot (CAP_SYS_CHROOT +
// CAP_SYS_ADMIN of the caller's own namespace) and creating the FUSE mount
// of the tools in cntr's nested mount namespace (CAP_SYS_ADMIN).
constexpr cap_value_t kUnprivilegedMode[] = {CAP_SYS_ADMIN, CAP_SYS_CHROOT};

std::string cap_name_upper(cap_value_t cap) {
    std::unique_ptr<char, decltype(&cap_free)> name(cap_to_name(cap), cap_free);
    std::string upper(name ? name.get() : "?");
    for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return upper;
}

template <size_t N>
std::string missing_caps(const cap_value_t (&needed)[N]) {
    std::unique_ptr<_cap_struct, decltype(&cap_free)> caps(cap_get_proc(), cap_free);
    std::string missing;
    for (cap_value_t cap : needed) {
        cap_flag_value_t value = CAP_CLEAR;
        if (!caps || cap_get_flag(caps.get(), cap, CAP_EFFECTIVE, &value) != 0 || value != CAP_SET)
            missing += (missing.empty() ? "" : ", ") + cap_name_upper(cap);
    }
    return missing;
}

bool unprivileged_mode() { return !missing_caps(kFullMode).empty(); }

}  // namespace

// Why not PR_SET_DUMPABLE (upstream's CNTR_ALLOW_SETCAP): a process that
// gained capabilities from its file is not dumpable, so the invoking user
// cannot ptrace it, read its memory or open its /proc/PID files. Making it
// dumpable would hand CAP_SYS_ADMIN to any process of that user (and, once
// the session joins the container, to the container's root). cntr therefore
// stays non-dumpable: it only needs its own /proc/self, which a process may
// always open, and the target's /proc/PID, which belongs to the same user.
// cntrfs-server is exec'd without capabilities (no ambient set): it serves
// the host's files with the user's own rights, which is all a user may see.
void require_privileges(const char* command) {
    const std::string full_missing = missing_caps(kFullMode);
    if (full_missing.empty()) return;
    const std::string unpriv_missing = missing_caps(kUnprivilegedMode);
    if (unpriv_missing.empty() && ::geteuid() != 0) return;  // unprivileged mode
    if (::geteuid() == 0)
        throw UserError(std::string("cntr ") + command + " is missing " + full_missing +
                        " (root without these capabilities, e.g. inside a container): run it with "
                        "all capabilities (docker run --privileged, or sudo on the host)");
    throw UserError(std::string("cntr ") + command + " must run as root: it is missing " +
                    unpriv_missing + ". Try: sudo cntr " + command +
                    " ... Or, to attach to your own rootless containers without sudo, give the "
                    "binary file capabilities: sudo setcap cap_sys_admin,cap_sys_chroot=ep "
                    "$(command -v cntr)");
}

void require_target_access(pid_t pid, const char* command) {
    if (!unprivileged_mode()) return;
    const std::string root_caps = missing_caps(kFullMode);
    const std::string hint = std::string(
                                 " Unprivileged cntr (file capabilities only) attaches only "
                                 "to containers in a user namespace you own, such as your "
                                 "rootless podman containers; for this one it lacks ") +
                             root_caps + ": use sudo cntr " + command + ".";
    const std::string ns_path = "/proc/" + std::to_string(pid) + "/ns/user";
    Fd target(::open(ns_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!target)
        throw UserError("cannot open " + ns_path + ": " + std::strerror(errno) +
                        " (the process belongs to another user)." + hint);
    struct stat own {
    }, theirs{};
    if (::stat("/proc/self/ns/user", &own) != 0 || ::fstat(target.get(), &theirs) != 0)
        throw_errno("stat user namespaces");
    if (own.st_ino == theirs.st_ino && own.st_dev == theirs.st_dev)
        throw UserError("process " + std::to_string(pid) +
                        " is not in a user namespace of its own (not a rootless container)." +
                        hint);
    uid_t owner = 0;
    if (::ioctl(target.get(), NS_GET_OWNER_UID, &owner) != 0) throw_errno("NS_GET_OWNER_UID");
    if (owner != ::getuid())
        throw UserError("process " + std::to_string(pid) + " is in a user namespace owned by uid " +
                        std::to_string(owner) + ", not by you (uid " + std::to_string(::getuid()) +
                        ")." + hint);
}

void require_kernel() {
    utsname u{};
    if (::uname(&u) != 0) return;
    int major = 0, minor = 0;
    if (std::sscanf(u.release, "%d.%d", &major, &minor) != 2) return;
    if (major > 5 || (major == 5 && minor >= 9)) return;
    throw UserError(std::string("kernel ") + u.release +
                    " is too old: cntr needs Linux 5.9 or newer (openat2, the new mount API, "
                    "pidfd, close_range)");
}

void require_fuse_device() {
    struct stat st {};
    if (::stat("/dev/fuse", &st) == 0 && S_ISCHR(st.st_mode)) {
        // Unprivileged mode has no CAP_DAC_OVERRIDE: the device must be open
        // to everybody, as fuse3's udev rule makes it (crw-rw-rw-).
        if (::access("/dev/fuse", R_OK | W_OK) != 0)
            throw UserError("/dev/fuse is not readable and writable for you (mode " +
                            fmt::format("{:04o}", st.st_mode & 07777) +
                            "); unprivileged cntr needs the usual crw-rw-rw-: sudo chmod 0666 "
                            "/dev/fuse");
        return;
    }
    throw UserError(
        "/dev/fuse is missing: load the FUSE module with 'modprobe fuse' "
        "(inside a container, pass --device /dev/fuse)");
}

}  // namespace cntr
