#include "resolver.hpp"

#include <algorithm>
#include <chrono>

#include "error.hpp"
#include "log.hpp"

namespace cntr {
namespace {

struct Engine {
    const char* type;
    std::unique_ptr<ContainerResolver> (*make)();
    bool by_default;
};

// The order in which engines are asked when -t is not given (README and
// cntr.1 document it). Engines with their own names come first; a plain
// process id last, so a container named "1234" is still found by its name.
// kubernetes before containerd: the same task seen by both is listed (ps) and
// reported under its pod name. cgroup answers only IDs (RUNTIME://ID or 64 hex
// digits), after the engines that know the same container by its name.
// The command-line pattern matcher would match almost anything, so it only
// runs when asked for with -t command.
constexpr Engine kEngines[] = {
    {"docker", make_docker_resolver, true},
    {"podman", make_podman_resolver, true},
    {"lxc", make_lxc_resolver, true},
    {"lxd", make_lxd_resolver, true},
    {"nspawn", make_nspawn_resolver, true},
    {"kubernetes", make_kubernetes_resolver, true},
    {"containerd", make_containerd_resolver, true},
    {"rkt", make_rkt_resolver, true},
    {"cgroup", make_cgroup_id_resolver, true},
    {"process_id", make_process_id_resolver, true},
    {"command", make_command_resolver, false},
};

std::string join(const std::vector<std::string>& v, std::string_view sep) {
    std::string out;
    for (const auto& s : v) {
        if (!out.empty()) out += sep;
        out += s;
    }
    return out;
}

std::string describe(const ContainerInfo& c) {
    std::string out = "-t " + c.engine + "  " + c.name;
    if (!c.id.empty() && c.id != c.name) out += "  (id " + c.id.substr(0, 12) + ")";
    if (c.pid > 0) out += "  PID " + std::to_string(c.pid);
    return out;
}

std::string ambiguity_error(const std::string& container,
                            const std::vector<ContainerInfo>& candidates) {
    std::string msg = "'" + container + "' is ambiguous: " + std::to_string(candidates.size()) +
                      " containers match. Pick one with -t (or use its id or PID):";
    for (const auto& c : candidates) msg += "\n  " + describe(c);
    return msg;
}

}  // namespace

std::optional<pid_t> ContainerResolver::resolve(const std::string& container) {
    auto found = find(container);
    if (found.empty()) return std::nullopt;
    if (found.size() > 1) throw UserError(ambiguity_error(container, found));
    if (!found[0].not_attachable.empty()) throw UserError(found[0].not_attachable);
    return found[0].pid;
}

std::unique_ptr<ContainerResolver> make_resolver(std::string_view type) {
    for (const auto& e : kEngines)
        if (type == e.type) return e.make();
    throw UserError("unknown container type '" + std::string(type) +
                    "'; known types: " + join(known_container_types(), ","));
}

std::vector<std::string> known_container_types() {
    std::vector<std::string> out;
    for (const auto& e : kEngines) out.emplace_back(e.type);
    return out;
}

std::vector<std::string> default_container_types() {
    std::vector<std::string> out;
    for (const auto& e : kEngines)
        if (e.by_default) out.emplace_back(e.type);
    return out;
}

std::vector<std::string> parse_container_types(std::string_view list) {
    std::vector<std::string> out;
    const auto known = known_container_types();
    while (!list.empty()) {
        auto comma = list.find(',');
        std::string item(list.substr(0, comma));
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
        if (item.empty()) continue;
        if (std::ranges::find(known, item) == known.end())
            throw UserError("unknown container type '" + item +
                            "'; known types: " + join(known, ","));
        if (std::ranges::find(out, item) == out.end()) out.push_back(item);
    }
    if (out.empty()) throw UserError("-t needs at least one container type: " + join(known, ","));
    return out;
}

ResolvedContainer resolve_container(const std::string& container,
                                    const std::vector<std::string>& types) {
    if (container.empty()) throw UserError("container name is empty");
    const bool explicit_types = types != default_container_types();
    const auto start = std::chrono::steady_clock::now();
    std::vector<ContainerInfo> running;
    std::vector<ContainerInfo> unattachable;
    std::vector<std::string> tried;
    std::vector<std::string> unreachable;
    for (const auto& type : types) {
        auto resolver = make_resolver(type);
        if (!resolver->installed()) {
            if (explicit_types) throw UserError("-t " + type + ": " + resolver->missing_hint());
            log::debug("resolve: {} is not installed, skipped", type);
            continue;
        }
        tried.push_back(type);
        const auto t0 = std::chrono::steady_clock::now();
        std::vector<ContainerInfo> found;
        try {
            found = resolver->find(container);
        } catch (const EngineUnreachable& e) {
            log::debug("resolve: {}", e.what());
            unreachable.emplace_back(e.what());
            continue;
        }
        log::debug("resolve: {} took {:.2f} ms, {} match(es)", type,
                   std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                       .count(),
                   found.size());
        for (auto& c : found) {
            c.engine = type;
            if (!c.not_attachable.empty()) {
                unattachable.push_back(std::move(c));
            } else if (std::ranges::none_of(running,
                                            [&](const auto& r) { return r.pid == c.pid; })) {
                // The same process seen by two engines (docker and
                // containerd's moby namespace) is one container.
                running.push_back(std::move(c));
            }
        }
    }
    log::debug("resolve: '{}' took {:.2f} ms in all", container,
               std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                   .count());
    if (running.size() == 1) {
        log::debug("{} resolved '{}' to PID {}", running[0].engine, container, running[0].pid);
        return {running[0].pid, running[0].engine, running[0].name};
    }
    if (running.size() > 1) throw UserError(ambiguity_error(container, running));
    if (!unattachable.empty()) throw UserError(unattachable.front().not_attachable);
    if (!unreachable.empty()) {
        // The container may well be there: the engine that knows it is what failed.
        std::string msg = join(unreachable, "\n") + " (`-t` names other engines)";
        if (tried.size() > unreachable.size()) msg += "\nno other engine knows '" + container + "'";
        throw UserError(msg);
    }
    throw UserError("no container '" + container + "' found (tried: " +
                    (tried.empty() ? std::string("no engine is installed") : join(tried, ", ")) +
                    "). See 'cntr ps' for the running containers, give a process id, or "
                    "choose engines with -t.");
}

ContainerList list_containers(const std::vector<std::string>& types) {
    ContainerList out;
    for (const auto& type : types) {
        auto resolver = make_resolver(type);
        if (!resolver->installed() || !resolver->lists_containers()) continue;
        try {
            for (auto& c : resolver->list()) {
                c.engine = type;
                // The same process seen by two engines is listed once.
                if (c.pid > 0 && c.not_attachable.empty() &&
                    std::ranges::none_of(out.containers,
                                         [&](const auto& o) { return o.pid == c.pid; }))
                    out.containers.push_back(std::move(c));
            }
            out.asked.push_back(type);
        } catch (const EngineUnreachable& e) {
            out.failures.emplace_back(e.what());
        } catch (const std::exception& e) {
            out.failures.push_back(type + ": " + e.what());
        }
    }
    return out;
}

}  // namespace cntr
