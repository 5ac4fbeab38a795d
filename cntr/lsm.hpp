// The container's LSM label, decided and written from the host's side.
//
// Which LSM confines the container is read from the host's /sys before cntr
// enters anything, and the exec label is written through a descriptor of the
// host's procfs opened at the same time (checked to be procfs with fstatfs).
// Deciding or writing it through the container's /proc or /sys would let the
// container fake either (the CVE-2015-1334 / CVE-2019-19921 class: a /proc it
// mounted itself, or a symlink, swallows the write and the session runs
// unconfined).
#pragma once

#include <string>

#include "fd.hpp"

namespace cntr {

enum class LsmKind { none, apparmor, selinux };

struct LsmExec {
    LsmKind kind = LsmKind::none;
    std::string label;  // empty: nothing to apply
    Fd host_proc;       // O_PATH of the host's /proc, verified to be procfs
};

// Which LSM the host enforces, from the host's securityfs/sysfs files under
// `sys_root` ("/" in production).
LsmKind detect_host_lsm(const std::string& sys_root = "/");

// On the host, before entering the container: what apply_lsm_exec() will do.
// Throws UserError when the container is confined but the host shows no LSM
// that could confine the session (fail closed).
// `sys_root` as for detect_host_lsm().
LsmExec prepare_lsm_exec(const std::string& container_label, const std::string& sys_root = "/");

// Opens `path` as a directory and checks it is a procfs (throws UserError if not).
Fd open_verified_procfs(const std::string& path);

// In the command, right before execve(): writes the exec label through
// `host_proc`, lsm.host_proc or the number it was moved to (session_child
// closes and renumbers descriptors). A no-op for unconfined containers.
void apply_lsm_exec(const LsmExec& lsm, int host_proc);

}  // namespace cntr
