#include "process_context.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <csignal>

#include <charconv>
#include <sstream>

#include "error.hpp"
#include "file_io.hpp"
#include "log.hpp"

namespace cntr {

const char* namespace_name(Namespace ns) {
    switch (ns) {
        case Namespace::mnt:
            return "mnt";
        case Namespace::uts:
            return "uts";
        case Namespace::ipc:
            return "ipc";
        case Namespace::net:
            return "net";
        case Namespace::pid:
            return "pid";
        case Namespace::cgroup:
            return "cgroup";
        case Namespace::time:
            return "time";
        case Namespace::user:
            return "user";
    }
    return "?";
}

int namespace_clone_flag(Namespace ns) {
    switch (ns) {
        case Namespace::mnt:
            return CLONE_NEWNS;
        case Namespace::uts:
            return CLONE_NEWUTS;
        case Namespace::ipc:
            return CLONE_NEWIPC;
        case Namespace::net:
            return CLONE_NEWNET;
        case Namespace::pid:
            return CLONE_NEWPID;
        case Namespace::cgroup:
            return CLONE_NEWCGROUP;
        case Namespace::time:
            return CLONE_NEWTIME;
        case Namespace::user:
            return CLONE_NEWUSER;
    }
    return 0;
}

const NamespaceFd* ProcessContext::find_namespace(Namespace ns) const {
    for (const auto& n : namespaces)
        if (n.kind == ns) return &n;
    return nullptr;
}

std::optional<std::string> status_field(const std::string& status, const std::string& key) {
    std::istringstream in(status);
    std::string line;
    const std::string prefix = key + ":";
    while (std::getline(in, line)) {
        if (line.starts_with(prefix)) {
            auto value = line.substr(prefix.size());
            auto first = value.find_first_not_of(" \t");
            return first == std::string::npos ? std::string() : value.substr(first);
        }
    }
    return std::nullopt;
}

namespace {

template <typename T>
T parse_number(std::string_view s, int base = 10) {
    T value{};
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value, base);
    if (ec != std::errc() || ptr != s.data() + s.size())
        throw UserError("unexpected number '" + std::string(s) + "' in /proc");
    return value;
}

std::vector<std::string> split_ws(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> out;
    std::string word;
    while (in >> word) out.push_back(word);
    return out;
}

std::string read_proc(int proc_dir, const std::string& name) {
    Fd fd = open_at(proc_dir, name, O_RDONLY);
    try {
        return read_all(fd.get());
    } catch (const SysError& e) {
        throw SysError("read /proc/PID/" + name, e.code());
    }
}

// The container's variables, at most kMaxEnvironBytes of them: a process can
// make its environ block as large as its memory (prctl PR_SET_MM_MAP).
std::vector<std::string> read_environ(int proc_dir, pid_t pid) {
    Fd fd = open_at(proc_dir, "environ", O_RDONLY);
    BoundedRead r;
    try {
        r = read_bounded(fd.get(), kMaxEnvironBytes);
    } catch (const SysError& e) {
        throw SysError("read /proc/PID/environ", e.code());
    }
    if (r.truncated) {
        // The last entry may be cut in the middle; drop it rather than pass half a value.
        if (auto last = r.data.rfind('\0'); last != std::string::npos)
            r.data.resize(last);
        else
            r.data.clear();
        log::warn(
            "the environment of process {} is larger than {} KiB; the session gets only "
            "its first variables",
            pid, kMaxEnvironBytes / 1024);
    }
    return split_nul(r.data);
}

// /proc/PID/limits rather than prlimit(PID): reading another user's limits
// with prlimit needs CAP_SYS_RESOURCE, the file is world-readable. The kernel
// prints one line per RLIMIT_* in index order: "%-25s %-20s %-20s %-10s".
std::vector<rlimit> read_rlimits(int proc_dir) {
    std::istringstream in(read_proc(proc_dir, "limits"));
    std::vector<rlimit> out;
    std::string line;
    std::getline(in, line);  // the header
    auto value = [](const std::string& s) {
        return s == "unlimited" ? RLIM_INFINITY : parse_number<rlim_t>(s);
    };
    constexpr size_t kNameWidth = 26;
    while (std::getline(in, line) && out.size() < RLIM_NLIMITS) {
        auto fields = split_ws(line.size() > kNameWidth ? line.substr(kNameWidth) : "");
        if (fields.size() < 2) throw UserError("unexpected line in /proc/PID/limits: " + line);
        out.push_back({.rlim_cur = value(fields[0]), .rlim_max = value(fields[1])});
    }
    if (out.size() != RLIM_NLIMITS)
        throw UserError("/proc/PID/limits has " + std::to_string(out.size()) + " limits, not " +
                        std::to_string(RLIM_NLIMITS));
    return out;
}

Fd open_pidfd(pid_t pid) {
    Fd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!fd) {
        if (errno == ESRCH) throw UserError("process " + std::to_string(pid) + " does not exist");
        throw_errno("pidfd_open " + std::to_string(pid));
    }
    return fd;
}

std::string required_field(const std::string& status, const std::string& key) {
    auto v = status_field(status, key);
    if (!v) throw UserError("/proc/PID/status has no " + key + " line");
    return *v;
}

void parse_ids(const std::string& line, uint32_t& r, uint32_t& e, uint32_t& s, uint32_t& f) {
    auto v = split_ws(line);
    if (v.size() != 4) throw UserError("unexpected id line in /proc/PID/status: " + line);
    r = parse_number<uint32_t>(v[0]);
    e = parse_number<uint32_t>(v[1]);
    s = parse_number<uint32_t>(v[2]);
    f = parse_number<uint32_t>(v[3]);
}

std::string start_time(const std::string& stat) {
    auto fields = proc_stat_fields(stat);
    return fields.size() > 19 ? fields[19] : std::string();
}

}  // namespace

std::vector<std::string> proc_stat_fields(const std::string& stat) {
    auto close = stat.rfind(')');
    if (close == std::string::npos) return {};
    return split_ws(stat.substr(close + 1));
}

std::vector<IdMapEntry> parse_id_map(const std::string& text) {
    std::vector<IdMapEntry> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        auto v = split_ws(line);
        if (v.empty()) continue;
        if (v.size() != 3) throw UserError("unexpected id map line: " + line);
        out.push_back({parse_number<uint32_t>(v[0]), parse_number<uint32_t>(v[1]),
                       parse_number<uint32_t>(v[2])});
    }
    return out;
}

std::optional<uint32_t> map_to_inside(const std::vector<IdMapEntry>& map, uint32_t outside) {
    for (const auto& e : map) {
        if (outside >= e.outside && outside - e.outside < e.count)
            return e.inside + (outside - e.outside);
    }
    return std::nullopt;
}

std::vector<std::string> split_nul(const std::string& data) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start < data.size()) {
        auto end = data.find('\0', start);
        if (end == std::string::npos) end = data.size();
        if (end > start) out.push_back(data.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

uint64_t parse_cap_mask(const std::string& hex) { return parse_number<uint64_t>(hex, 16); }

std::string normalize_lsm_label(std::string label) {
    while (!label.empty() && (label.back() == '\n' || label.back() == '\0')) label.pop_back();
    if (auto paren = label.rfind(" ("); paren != std::string::npos && label.ends_with(")"))
        label.resize(paren);
    return label;
}

ProcessContext capture_process_context(pid_t pid) {
    ProcessContext ctx;
    ctx.pid = pid;
    ctx.pidfd = open_pidfd(pid);
    const std::string proc_path = "/proc/" + std::to_string(pid);
    try {
        ctx.proc_dir = open_fd(proc_path, O_PATH | O_DIRECTORY);
    } catch (const SysError& e) {
        if (e.code() == ENOENT)
            throw UserError("process " + std::to_string(pid) + " does not exist");
        throw;
    }
    const int dir = ctx.proc_dir.get();
    const std::string stat_before = start_time(read_proc(dir, "stat"));

    ctx.root = open_at(dir, "root", O_PATH | O_DIRECTORY);

    struct stat own {
    }, theirs{};
    for (Namespace ns : kAllNamespaces) {
        std::string rel = std::string("ns/") + namespace_name(ns);
        Fd fd;
        try {
            fd = open_at(dir, rel, O_RDONLY);
        } catch (const SysError& e) {
            if (e.code() == ENOENT) continue;  // kernel without this namespace type
            throw;
        }
        check(::fstat(fd.get(), &theirs), "fstat /proc/PID/" + rel);
        bool differs = true;
        if (::stat(("/proc/self/" + rel).c_str(), &own) == 0)
            differs = own.st_ino != theirs.st_ino || own.st_dev != theirs.st_dev;
        ctx.namespaces.push_back({ns, std::move(fd), differs});
    }

    {
        std::istringstream in(read_proc(dir, "cgroup"));
        std::string line;
        while (std::getline(in, line))
            if (!line.empty()) ctx.cgroups.push_back(line);
    }

    const std::string status = read_proc(dir, "status");
    ctx.comm = required_field(status, "Name");
    parse_ids(required_field(status, "Uid"), ctx.creds.uid, ctx.creds.euid, ctx.creds.suid,
              ctx.creds.fsuid);
    parse_ids(required_field(status, "Gid"), ctx.creds.gid, ctx.creds.egid, ctx.creds.sgid,
              ctx.creds.fsgid);
    for (const auto& g : split_ws(required_field(status, "Groups")))
        ctx.creds.groups.push_back(parse_number<gid_t>(g));
    ctx.caps.inheritable = parse_cap_mask(required_field(status, "CapInh"));
    ctx.caps.permitted = parse_cap_mask(required_field(status, "CapPrm"));
    ctx.caps.effective = parse_cap_mask(required_field(status, "CapEff"));
    ctx.caps.bounding = parse_cap_mask(required_field(status, "CapBnd"));
    if (auto amb = status_field(status, "CapAmb")) ctx.caps.ambient = parse_cap_mask(*amb);
    if (auto nnp = status_field(status, "NoNewPrivs")) ctx.no_new_privs = *nnp == "1";
    if (auto sec = status_field(status, "Seccomp")) ctx.seccomp_mode = parse_number<int>(*sec);
    auto nspid = split_ws(required_field(status, "NSpid"));
    ctx.ns_pid = parse_number<pid_t>(nspid.back());

    // AppArmor has its own file since Linux 5.8; attr/current is shared by all LSMs.
    for (const char* attr : {"attr/apparmor/current", "attr/current"}) {
        try {
            ctx.lsm_label = normalize_lsm_label(read_proc(dir, attr));
            break;
        } catch (const SysError&) {
        }
    }

    if (auto umask = status_field(status, "Umask")) ctx.umask = parse_number<mode_t>(*umask, 8);
    try {
        ctx.oom_score_adj = std::stoi(read_proc(dir, "oom_score_adj"));
    } catch (const std::exception& e) {
        log::debug("no oom_score_adj for process {}: {}", pid, e.what());
    }
    try {
        ctx.personality =
            parse_number<unsigned long>(split_ws(read_proc(dir, "personality")).at(0), 16);
    } catch (const std::exception& e) {
        log::debug("no personality for process {}: {}", pid, e.what());
    }
    ctx.rlimits = read_rlimits(dir);

    ctx.environ = read_environ(dir, pid);
    ctx.uid_map = parse_id_map(read_proc(dir, "uid_map"));
    ctx.gid_map = parse_id_map(read_proc(dir, "gid_map"));
    ctx.setgroups_allowed = read_proc(dir, "setgroups").starts_with("allow");

    std::string stat_after;
    try {
        stat_after = start_time(read_proc(dir, "stat"));
    } catch (const SysError&) {
    }
    // The pidfd was taken before /proc/PID was opened: if it still names a
    // live process, every read above was of that process.
    if (stat_after != stat_before || !pidfd_alive(ctx.pidfd.get()))
        throw UserError("process " + std::to_string(pid) + " exited while cntr was reading it");
    return ctx;
}

bool pidfd_alive(int pidfd) { return ::syscall(SYS_pidfd_send_signal, pidfd, 0, nullptr, 0) == 0; }

}  // namespace cntr
