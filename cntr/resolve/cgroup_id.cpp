// The "cgroup" engine: a container by the ID its runtime reports, found in
// /proc/*/cgroup (cgroup_id.hpp says why and which layouts).
#include "cgroup_id.hpp"

#include <dirent.h>
#include <fcntl.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "file_io.hpp"
#include "process_context.hpp"
#include "resolver.hpp"

namespace cntr {
namespace {

constexpr size_t kIdLength = 64;
// /proc/PID/cgroup is a line per hierarchy (13 on cgroup v1); paths are bounded by
// the kernel, but the bound keeps a pathological tree from costing a scan much.
constexpr size_t kMaxCgroupFile = size_t{64} * 1024;
constexpr size_t kMaxStatFile = 4096;

// The parts of `s` between `sep`s, empty ones included.
std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    for (size_t at = 0;;) {
        size_t end = s.find(sep, at);
        parts.push_back(
            s.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at));
        if (end == std::string_view::npos) return parts;
        at = end + 1;
    }
}

bool is_full_id(std::string_view s) {
    return s.size() == kIdLength && std::ranges::all_of(s, [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

// The container ID a path component names, or "": "ID", "PREFIX-ID" (podman's
// cgroupfs "libpod-ID") or a systemd scope "PREFIX-ID.scope" (docker-,
// cri-containerd-, crio-, libpod-).
std::string_view id_of_component(std::string_view component) {
    if (is_full_id(component)) return component;
    constexpr std::string_view kScope = ".scope";
    if (component.ends_with(kScope)) component.remove_suffix(kScope.size());
    if (component.size() < kIdLength + 2) return {};
    std::string_view id = component.substr(component.size() - kIdLength);
    if (component[component.size() - kIdLength - 1] != '-' || !is_full_id(id)) return {};
    // CRI-O's and podman's container monitors run in cgroups of their own named after
    // the container.
    if (component.find("conmon") != std::string_view::npos) return {};
    return id;
}

// Whether one cgroup path puts its process in container `id`'s cgroup. The first
// component that names a container must be `id`: a container that may create
// cgroups could otherwise name a child cgroup after another container's ID and
// have its own processes taken for that one.
bool path_names_container(std::string_view path, std::string_view id) {
    for (std::string_view component : split(path, '/')) {
        std::string_view named = id_of_component(component);
        if (!named.empty()) return named == id;
    }
    return false;
}

struct ProcStat {
    pid_t ppid = 0;
    uint64_t start = 0;
};

std::optional<ProcStat> read_proc_stat(int proc, const std::string& pid) {
    int fd = ::openat(proc, (pid + "/stat").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    Fd owned(fd);
    const auto fields = proc_stat_fields(read_bounded(owned.get(), kMaxStatFile).data);
    constexpr size_t kPpid = 1;    // field 4
    constexpr size_t kStart = 19;  // field 22
    if (fields.size() <= kStart) return std::nullopt;
    ProcStat out;
    std::from_chars(fields[kPpid].data(), fields[kPpid].data() + fields[kPpid].size(), out.ppid);
    std::from_chars(fields[kStart].data(), fields[kStart].data() + fields[kStart].size(),
                    out.start);
    return out;
}

class CgroupIdResolver final : public ContainerResolver {
  public:
    [[nodiscard]] std::string_view name() const override { return "cgroup"; }
    [[nodiscard]] bool installed() const override { return true; }
    [[nodiscard]] std::string missing_hint() const override { return {}; }
    // Every engine lists its own containers; IDs alone would repeat them.
    std::vector<ContainerInfo> list() override { return {}; }

    std::vector<ContainerInfo> find(const std::string& container) override {
        auto id = container_id_of_reference(container);
        if (!id) return {};
        auto pid = init_of(*id);
        if (!pid) return {};
        ContainerInfo c;
        c.name = container;
        c.id = *id;
        c.pid = *pid;
        return {c};
    }

  private:
    // The container's first process: of the processes in its cgroup, one whose
    // parent is outside it (a runtime's shim, or cntr for a session's processes),
    // the oldest of those.
    static std::optional<pid_t> init_of(const std::string& id) {
        Fd proc(::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!proc) return std::nullopt;
        std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir("/proc"), ::closedir);
        if (!dir) return std::nullopt;
        std::map<pid_t, ProcStat> members;
        while (dirent* e = ::readdir(dir.get())) {
            pid_t pid = 0;
            std::string_view name(e->d_name);
            auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
            if (ec != std::errc() || ptr != name.data() + name.size()) continue;
            int fd = ::openat(proc.get(), (name.data() + std::string("/cgroup")).c_str(),
                              O_RDONLY | O_CLOEXEC);
            if (fd < 0) continue;  // gone meanwhile
            Fd cgroup(fd);
            if (!cgroup_names_container(read_bounded(cgroup.get(), kMaxCgroupFile).data, id))
                continue;
            if (auto st = read_proc_stat(proc.get(), std::string(name))) members[pid] = *st;
        }
        std::optional<pid_t> best;
        for (const auto& [pid, st] : members) {
            if (members.contains(st.ppid)) continue;
            if (!best || st.start < members[*best].start) best = pid;
        }
        return best;
    }
};

}  // namespace

std::optional<std::string> container_id_of_reference(std::string_view reference) {
    for (std::string_view scheme : {"containerd://", "cri-o://", "docker://"}) {
        if (reference.starts_with(scheme)) {
            reference.remove_prefix(scheme.size());
            return is_full_id(reference) ? std::optional<std::string>(reference) : std::nullopt;
        }
    }
    if (is_full_id(reference)) return std::string(reference);
    return std::nullopt;
}

bool cgroup_names_container(std::string_view proc_cgroup, std::string_view id) {
    for (std::string_view line : split(proc_cgroup, '\n')) {
        // "HIERARCHY:CONTROLLERS:PATH"; the path may itself hold ':'.
        auto first = line.find(':');
        if (first == std::string_view::npos) continue;
        auto second = line.find(':', first + 1);
        if (second == std::string_view::npos) continue;
        if (path_names_container(line.substr(second + 1), id)) return true;
    }
    return false;
}

std::unique_ptr<ContainerResolver> make_cgroup_id_resolver() {
    return std::make_unique<CgroupIdResolver>();
}

}  // namespace cntr
