#include "resolver.hpp"

#include <algorithm>

#include "error.hpp"
#include "log.hpp"

namespace cntr {
namespace {

struct Engine {
    const char* type;
    std::unique_ptr<ContainerResolver> (*make)();
    bool by_default;
};

// The command-line pattern matcher would match almost anything, so it only
// runs when asked for with -t command.
constexpr Engine kEngines[] = {
    {"docker", make_docker_resolver, true},
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

}  // namespace

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
    for (const auto& type : types) {
        for (const auto& e : kEngines) {
            if (type != e.type) continue;
            auto resolver = e.make();
            if (auto pid = resolver->resolve(container)) {
                log::debug("{} resolved '{}' to PID {}", type, container, *pid);
                return {*pid, type};
            }
        }
    }
    throw UserError(
        "no container '" + container + "' found (tried: " + join(types, ", ") +
        "). Check the name with 'docker ps', give a process id, or choose engines with -t.");
}

}  // namespace cntr
