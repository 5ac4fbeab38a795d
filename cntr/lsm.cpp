// The container's LSM label applies from our execve() on, exactly as if the
// container runtime had started the command: AppArmor takes "exec PROFILE"
// in attr/apparmor/exec, SELinux takes the context in attr/exec. See lsm.hpp
// for why everything goes through the host's /proc and /sys.
#include "lsm.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "error.hpp"
#include "file_io.hpp"

namespace cntr {
namespace {

bool file_says_yes(const std::string& path) {
    try {
        auto s = read_file(path);
        return !s.empty() && (s[0] == 'Y' || s[0] == '1');
    } catch (const SysError&) {
        return false;
    }
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

bool unconfined(const std::string& label) {
    return label.empty() || label == "unconfined" || label == "kernel";
}

const char* lsm_name(LsmKind kind) { return kind == LsmKind::apparmor ? "AppArmor" : "SELinux"; }

}  // namespace

LsmKind detect_host_lsm(const std::string& sys_root) {
    const std::string root = sys_root.ends_with('/') ? sys_root : sys_root + "/";
    if (file_says_yes(root + "sys/module/apparmor/parameters/enabled")) return LsmKind::apparmor;
    if (exists(root + "sys/fs/selinux/enforce")) return LsmKind::selinux;
    return LsmKind::none;
}

Fd open_verified_procfs(const std::string& path) {
    Fd fd = open_fd(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    struct statfs sfs {};
    check(::fstatfs(fd.get(), &sfs), "fstatfs " + path);
    if (sfs.f_type != PROC_SUPER_MAGIC)
        throw UserError(path + " is not a procfs; cannot set the session's LSM label through it");
    return fd;
}

LsmExec prepare_lsm_exec(const std::string& container_label, const std::string& sys_root) {
    LsmExec lsm;
    if (unconfined(container_label)) return lsm;
    lsm.kind = detect_host_lsm(sys_root);
    if (lsm.kind == LsmKind::none)
        throw UserError("the container runs under the LSM label '" + container_label +
                        "' but the host shows neither AppArmor nor SELinux enabled; "
                        "refusing to start an unconfined session (--elevate lsm starts one)");
    lsm.label = container_label;
    lsm.host_proc = open_verified_procfs("/proc");
    return lsm;
}

void apply_lsm_exec(const LsmExec& lsm, int host_proc) {
    if (lsm.label.empty()) return;
    // thread-self resolves in the host procfs's PID namespace, where the
    // command is as visible as anywhere: it names the calling thread.
    std::string rel = "thread-self/attr/exec";
    if (lsm.kind == LsmKind::apparmor) {
        struct stat st {};
        if (::fstatat(host_proc, "thread-self/attr/apparmor/exec", &st, 0) == 0)
            rel = "thread-self/attr/apparmor/exec";
    }
    const std::string value = lsm.kind == LsmKind::apparmor ? "exec " + lsm.label : lsm.label;
    try {
        Fd attr = open_at(host_proc, rel, O_WRONLY | O_CLOEXEC);
        struct statfs sfs {};
        check(::fstatfs(attr.get(), &sfs), "fstatfs " + rel);
        if (sfs.f_type != PROC_SUPER_MAGIC) throw UserError(rel + " is not on the host's procfs");
        const ssize_t n = ::write(attr.get(), value.data(), value.size());
        if (n != static_cast<ssize_t>(value.size())) throw_errno("write " + rel);
    } catch (const SysError& e) {
        throw UserError(std::string("cannot switch to the container's ") + lsm_name(lsm.kind) +
                        " label '" + lsm.label + "': " + e.what());
    }
}

}  // namespace cntr
