// The slim container's execution context, captured from /proc/PID before cntr
// enters anything: everything the session must inherit (namespaces, cgroup,
// credentials, capabilities, LSM label, environment).
//
// All reads go through one O_PATH descriptor of /proc/PID opened first, so a
// PID that is reused while we read can at worst make later reads fail; it can
// never mix two processes' data silently (we re-check the start time at the end).
#pragma once

#include <linux/filter.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fd.hpp"

namespace cntr {

// The namespaces cntr joins, in the order the session joins them. The mount
// namespace is entered first and separately (a nested one is built inside
// it); the user namespace comes last because joining it drops our privileges
// over everything owned by the host's user namespace.
enum class Namespace { mnt, uts, ipc, net, pid, cgroup, time, user };
inline constexpr std::array kAllNamespaces{Namespace::mnt,  Namespace::uts, Namespace::ipc,
                                           Namespace::net,  Namespace::pid, Namespace::cgroup,
                                           Namespace::time, Namespace::user};
const char* namespace_name(Namespace ns);
int namespace_clone_flag(Namespace ns);

struct IdMapEntry {
    uint32_t inside;   // first id inside the namespace
    uint32_t outside;  // first id in the host's view
    uint32_t count;
};

struct Capabilities {
    uint64_t inheritable = 0, permitted = 0, effective = 0, bounding = 0, ambient = 0;
};

struct Credentials {
    // All ids are as the host sees them (that is what /proc shows to us).
    uid_t uid = 0, euid = 0, suid = 0, fsuid = 0;
    gid_t gid = 0, egid = 0, sgid = 0, fsgid = 0;
    std::vector<gid_t> groups;
};

struct NamespaceFd {
    Namespace kind;
    Fd fd;
    bool differs;  // false when the container shares this namespace with cntr
};

// Largest /proc/PID/environ cntr reads; the container can make it any size.
inline constexpr size_t kMaxEnvironBytes = size_t{1} << 20;

struct ProcessContext {
    pid_t pid = 0;  // in the host's PID namespace
    // Taken before anything else is read: /proc/PID is trusted only while this
    // still names a live process (a PID is not reused before its process is reaped).
    Fd pidfd;
    pid_t ns_pid = 0;  // the same process inside its own PID namespace
    std::string comm;
    Fd proc_dir;  // O_PATH /proc/PID
    Fd root;      // O_PATH /proc/PID/root: the container's root directory
    std::vector<NamespaceFd> namespaces;
    std::vector<std::string> cgroups;  // lines of /proc/PID/cgroup
    Credentials creds;
    Capabilities caps;
    bool no_new_privs = false;
    int seccomp_mode = 0;
    std::string lsm_label;  // empty or "unconfined" when no LSM confines it
    std::vector<std::string> environ;
    std::vector<IdMapEntry> uid_map, gid_map;
    bool setgroups_allowed = true;
    // Process limits the command inherits like a `docker exec` process does.
    std::vector<rlimit> rlimits;  // indexed by RLIMIT_*, from prlimit(PID)
    std::optional<int> oom_score_adj;
    mode_t umask = 022;
    std::optional<unsigned long> personality;
    // The container's seccomp filters, oldest first (seccomp_borrow.cpp);
    // filled in only when the seccomp layer is applied.
    std::vector<std::vector<sock_filter>> seccomp_filters;

    [[nodiscard]] const NamespaceFd* find_namespace(Namespace ns) const;
};

// Whether the process a pidfd refers to still runs (it keeps its PID while it does).
bool pidfd_alive(int pidfd);

// Reads everything cntr needs about `pid`. Throws UserError when the process
// does not exist or vanishes while it is read.
ProcessContext capture_process_context(pid_t pid);

// Pure parsing helpers (unit-tested).
std::optional<std::string> status_field(const std::string& status, const std::string& key);
std::vector<IdMapEntry> parse_id_map(const std::string& text);
// Maps a host id into the namespace described by `map`; nullopt when unmapped.
std::optional<uint32_t> map_to_inside(const std::vector<IdMapEntry>& map, uint32_t outside);
std::vector<std::string> split_nul(const std::string& data);
// The fields of a /proc/PID/stat line after the comm field (which may hold spaces and
// ')'): [0] is field 3 (state), [1] field 4 (ppid), [19] field 22 (starttime).
std::vector<std::string> proc_stat_fields(const std::string& stat);
uint64_t parse_cap_mask(const std::string& hex);
// The AppArmor/SELinux label in /proc/PID/attr/current, without AppArmor's " (enforce)".
std::string normalize_lsm_label(std::string label);

}  // namespace cntr
