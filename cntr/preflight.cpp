#include "preflight.hpp"

#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <memory>
#include <string>

#include "error.hpp"

namespace cntr {

void require_privileges(const char* command) {
    constexpr cap_value_t kNeeded[] = {CAP_SYS_ADMIN, CAP_SYS_CHROOT, CAP_SYS_PTRACE,  CAP_SETUID,
                                       CAP_SETGID,    CAP_SETPCAP,    CAP_DAC_OVERRIDE};
    std::unique_ptr<_cap_struct, decltype(&cap_free)> caps(cap_get_proc(), cap_free);
    std::string missing;
    for (cap_value_t cap : kNeeded) {
        cap_flag_value_t value = CAP_CLEAR;
        if (!caps || cap_get_flag(caps.get(), cap, CAP_EFFECTIVE, &value) != 0 ||
            value != CAP_SET) {
            std::unique_ptr<char, decltype(&cap_free)> name(cap_to_name(cap), cap_free);
            std::string upper(name.get());
            for (auto& ch : upper)
                ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
            missing += (missing.empty() ? "" : ", ") + upper;
        }
    }
    if (missing.empty()) return;
    throw UserError(
        std::string("cntr ") + command + " must run as root: it is missing " + missing +
        (::geteuid() == 0 ? " (root without these capabilities, e.g. inside a container)" : "") +
        ". Try: sudo cntr " + command + " ...");
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
    if (::stat("/dev/fuse", &st) == 0 && S_ISCHR(st.st_mode)) return;
    throw UserError(
        "/dev/fuse is missing: load the FUSE module with 'modprobe fuse' "
        "(inside a container, pass --device /dev/fuse)");
}

}  // namespace cntr
