// podman, rootful and rootless. Each store is asked in turn: root's
// (/var/lib/containers/storage, when we are root) and the invoking user's own
// (~/.local/share/containers/storage of SUDO_UID under sudo, or of the real
// uid when cntr runs unprivileged with file capabilities).
//
// `podman inspect` starts a Go binary that opens the whole libpod state
// (~100 ms), too slow to pay on every attach for every name. So the store's
// containers.json (containers/storage's own index of names and ids, a plain
// JSON file) is read first, and podman is only asked about a name the store
// has: through its API socket when `podman system service` listens
// (/run/podman/podman.sock, or $XDG_RUNTIME_DIR/podman/podman.sock of the
// store's user; a few ms), else with the CLI, run as the store's owner, as a
// rootless store must be opened.
#include <dirent.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "engine_parsers.hpp"
#include "engine_util.hpp"
#include "error.hpp"
#include "file_io.hpp"
#include "log.hpp"
#include "resolver.hpp"

namespace cntr {
namespace {

struct Store {
    std::string graphroot;
    std::optional<RunAs> as;  // nullopt: root's store, podman runs as root
    std::string cli;          // how the user would run podman for this store
    std::string api_socket;   // its `podman system service` socket
};

std::vector<Store> stores() {
    std::vector<Store> out;
    if (::geteuid() == 0)
        out.push_back(
            {"/var/lib/containers/storage", std::nullopt, "podman", "/run/podman/podman.sock"});
    if (auto user = invoking_user()) {
        std::string data = user->home + "/.local/share";
        if (const char* x = std::getenv("XDG_DATA_HOME");
            x != nullptr && *x == '/' && ::getuid() == user->uid)
            data = x;
        std::string cli = "podman";
        if (::getuid() == 0)
            if (passwd* pw = ::getpwuid(user->uid))
                cli = std::string("sudo -u ") + pw->pw_name + " podman";
        out.push_back({data + "/containers/storage", user, cli,
                       "/run/user/" + std::to_string(user->uid) + "/podman/podman.sock"});
    }
    return out;
}

// Whether the store's index knows `name` as a name, full id or id prefix.
// A store we cannot read (another user's) knows nothing.
bool store_knows(const Store& store, const std::string& name) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(store.graphroot, ec)) {
        const std::string dir = entry.path().filename().string();
        if (!dir.ends_with("-containers")) continue;
        std::string text;
        try {
            text = read_file(entry.path().string() + "/containers.json");
        } catch (const std::exception&) {
            continue;
        }
        auto json = nlohmann::json::parse(text, nullptr, false);
        if (!json.is_array()) return true;  // unknown format: let podman decide
        for (const auto& c : json) {
            if (c.value("id", std::string()).starts_with(name)) return true;
            if (c.contains("names") && c["names"].is_array())
                for (const auto& n : c["names"])
                    if (n.is_string() && n.get<std::string>() == name) return true;
        }
    }
    return false;
}

// The libpod API answers the same JSON as `podman inspect`. nullopt when no
// service listens (then the CLI is asked); an empty id when it knows no such
// container.
std::optional<ContainerInfo> from_api(const Store& store, const std::string& container) {
    if (!is_socket(store.api_socket) || ::access(store.api_socket.c_str(), R_OK | W_OK) != 0)
        return std::nullopt;
    auto r = http_get_unix(store.api_socket,
                           "/v4.0.0/libpod/containers/" + url_escape(container) + "/json");
    if (r.status == 0) return std::nullopt;
    if (r.status == 404) return ContainerInfo{};
    auto json = nlohmann::json::parse(r.body, nullptr, false);
    if (r.status != 200 || !json.is_object()) {
        log::debug("podman API {}: HTTP {}: {}", store.api_socket, r.status, r.body.substr(0, 200));
        return std::nullopt;
    }
    return engine::from_docker_inspect(json, store.cli);
}

class PodmanResolver final : public ContainerResolver {
  public:
    [[nodiscard]] std::string_view name() const override { return "podman"; }
    [[nodiscard]] bool installed() const override { return find_program("podman").has_value(); }
    [[nodiscard]] std::string missing_hint() const override {
        return "podman is not installed (no podman on PATH); install it (apt install podman)";
    }

    std::vector<ContainerInfo> find(const std::string& container) override {
        std::vector<ContainerInfo> out;
        for (const auto& store : stores()) {
            if (!store_knows(store, container)) continue;
            if (auto api = from_api(store, container)) {
                if (!api->id.empty()) out.push_back(std::move(*api));
                continue;
            }
            auto r = run_tool({"podman", "container", "inspect", container}, store.as);
            if (r.exit_code != 0) {
                log::debug("podman inspect {} ({}): {}", container, store.graphroot, r.err);
                continue;
            }
            auto json = nlohmann::json::parse(r.out, nullptr, false);
            if (!json.is_array()) continue;
            for (const auto& c : json) out.push_back(engine::from_docker_inspect(c, store.cli));
        }
        return out;
    }

    std::vector<ContainerInfo> list() override {
        std::vector<ContainerInfo> out;
        for (const auto& store : stores()) {
            if (!std::filesystem::exists(store.graphroot)) continue;
            auto json = nlohmann::json::parse(
                tool_output({"podman", "ps", "--format", "json"}, store.as), nullptr, false);
            if (!json.is_array()) throw UserError("podman ps --format json printed no array");
            for (const auto& c : json) {
                ContainerInfo info;
                info.id = c.value("Id", std::string());
                if (c.contains("Names") && c["Names"].is_array() && !c["Names"].empty())
                    info.name = c["Names"][0].get<std::string>();
                info.image = c.value("Image", std::string());
                info.pid = c.value("Pid", 0);
                out.push_back(std::move(info));
            }
        }
        return out;
    }
};

}  // namespace

std::unique_ptr<ContainerResolver> make_podman_resolver() {
    return std::make_unique<PodmanResolver>();
}

}  // namespace cntr
