// The container's LSM label applies from our execve() on, exactly as if the
// container runtime had started the command: AppArmor takes "exec PROFILE"
// in attr/apparmor/exec, SELinux takes the context in attr/exec.
#include <fcntl.h>
#include <sys/stat.h>

#include "credentials.hpp"
#include "error.hpp"
#include "file_io.hpp"

namespace cntr {
namespace {

bool file_says_yes(const char* path) {
    try {
        auto s = read_file(path);
        return !s.empty() && (s[0] == 'Y' || s[0] == '1');
    } catch (const SysError&) {
        return false;
    }
}

bool exists(const char* path) {
    struct stat st {};
    return ::stat(path, &st) == 0;
}

}  // namespace

void apply_lsm_label(const ProcessContext& ctx) {
    const std::string& label = ctx.lsm_label;
    if (label.empty() || label == "unconfined" || label == "kernel") return;
    if (file_says_yes("/sys/module/apparmor/parameters/enabled")) {
        const char* path = exists("/proc/self/attr/apparmor/exec") ? "/proc/self/attr/apparmor/exec"
                                                                   : "/proc/self/attr/exec";
        try {
            write_file(path, "exec " + label);
        } catch (const SysError& e) {
            throw UserError("cannot switch to the container's AppArmor profile '" + label +
                            "': " + e.what());
        }
        return;
    }
    if (exists("/sys/fs/selinux/enforce")) {
        try {
            write_file("/proc/self/attr/exec", label);
        } catch (const SysError& e) {
            throw UserError("cannot switch to the container's SELinux context '" + label +
                            "': " + e.what());
        }
    }
}

}  // namespace cntr
