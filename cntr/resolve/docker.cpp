// docker: asks the Engine API on its Unix socket (GET /containers/NAME/json),
// which accepts names, full ids and unique id prefixes. One HTTP round trip
// over a local socket costs a few milliseconds, where `docker inspect` would
// start a Go binary (tens of milliseconds) on every attach. When no local
// socket answers (DOCKER_HOST=tcp://, ssh://, a context), the `docker` CLI is
// the fallback; CNTR_DOCKER_CLI=1 forces it (the benchmark compares both).
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "engine_parsers.hpp"
#include "engine_util.hpp"
#include "error.hpp"
#include "log.hpp"
#include "resolver.hpp"

namespace cntr {

ContainerInfo engine::from_docker_inspect(const nlohmann::json& j, const std::string& cli) {
    ContainerInfo c;
    c.id = j.value("Id", std::string());
    c.name = j.value("Name", std::string());
    if (c.name.starts_with("/")) c.name.erase(0, 1);
    if (j.contains("ImageName") && j["ImageName"].is_string())
        c.image = j["ImageName"].get<std::string>();  // podman: the name, not the id
    else if (j.contains("Config") && j["Config"].is_object())
        c.image = j["Config"].value("Image", std::string());
    const auto& state = j.at("State");
    const std::string shown = c.name.empty() ? c.id.substr(0, 12) : c.name;
    if (state.value("Paused", false)) {
        c.not_attachable = cli + " container " + shown + " is paused; run '" + cli + " unpause " +
                           shown + "' first";
    } else if (!state.value("Running", false)) {
        c.not_attachable = cli + " container " + shown + " is not running (status: " +
                           state.value("Status", std::string("unknown")) + "); start it with '" +
                           cli + " start " + shown + "'";
    } else {
        c.pid = state.value("Pid", 0);
        if (c.pid <= 0) c.not_attachable = cli + " reports no process for container " + shown;
    }
    return c;
}

namespace {

// The socket to ask: DOCKER_HOST=unix://PATH is used even when nothing is there
// (the user named it, so its absence is the error to report); the default one
// only when it exists.
std::optional<std::string> docker_socket_path() {
    const char* host = std::getenv("DOCKER_HOST");
    if (host != nullptr && *host != '\0') {
        std::string_view h(host);
        if (!h.starts_with("unix://")) {
            log::debug("DOCKER_HOST={} is not a unix socket; using the docker CLI", h);
            return std::nullopt;
        }
        return std::string(h.substr(7));
    }
    std::string path = "/var/run/docker.sock";
    if (!is_socket(path)) return std::nullopt;
    return path;
}

[[noreturn]] void throw_unreachable(const std::string& socket, const HttpResponse& resp) {
    throw EngineUnreachable("docker: " + cannot_connect(socket, resp.connect_errno, "dockerd"));
}

// The CLI's own words when it cannot reach its daemon ("Cannot connect to the
// Docker daemon at ...", "permission denied while trying to connect ...").
void throw_if_cli_unreachable(const ToolResult& r) {
    if (r.err.find("Cannot connect") == std::string::npos &&
        r.err.find("permission denied while trying to connect") == std::string::npos)
        return;
    std::string first = r.err.substr(0, r.err.find('\n'));
    throw EngineUnreachable("docker: " + first);
}

bool force_cli() {
    const char* v = std::getenv("CNTR_DOCKER_CLI");
    return v != nullptr && std::string_view(v) == "1";
}

class DockerResolver final : public ContainerResolver {
  public:
    [[nodiscard]] std::string_view name() const override { return "docker"; }
    [[nodiscard]] bool installed() const override {
        return docker_socket_path() || find_program("docker");
    }
    [[nodiscard]] std::string missing_hint() const override {
        return "docker is not installed: neither /var/run/docker.sock (or DOCKER_HOST) nor the "
               "docker CLI was found";
    }

    std::vector<ContainerInfo> find(const std::string& container) override {
        // Docker names and ids are [a-zA-Z0-9][a-zA-Z0-9_.-]*; anything else (a
        // "containerd://ID" for the cgroup engine) would only get a redirect or an
        // error from the API, never a container.
        if (container.empty() || !std::ranges::all_of(container, [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' ||
                       c == '-';
            }))
            return {};
        auto socket = docker_socket_path();
        if (socket && !force_cli()) {
            auto resp = http_get_unix(*socket, "/containers/" + url_escape(container) + "/json");
            if (resp.status == 404) return {};
            // Nothing listens: dockerd is down. The CLI cannot do better.
            if (resp.status == 0) throw_unreachable(*socket, resp);
            return {from_api(container, resp)};
        }
        if (!find_program("docker")) return {};
        auto r = run_tool({"docker", "inspect", "--type", "container", container});
        if (r.exit_code != 0) {
            if (r.err.find("No such") != std::string::npos) return {};
            throw_if_cli_unreachable(r);
            log::debug("docker inspect {}: {}", container, r.err);
            return {};
        }
        auto json = nlohmann::json::parse(r.out, nullptr, false);
        if (!json.is_array() || json.empty())
            throw UserError("docker inspect " + container + " printed no container");
        return {engine::from_docker_inspect(json[0], "docker")};
    }

    std::vector<ContainerInfo> list() override {
        std::vector<ContainerInfo> out;
        auto socket = docker_socket_path();
        if (socket && !force_cli()) {
            auto resp = http_get_unix(*socket, "/containers/json");
            if (resp.status == 0) throw_unreachable(*socket, resp);
            auto json = nlohmann::json::parse(resp.body, nullptr, false);
            if (resp.status != 200 || !json.is_array())
                throw UserError("docker: listing containers failed (HTTP " +
                                std::to_string(resp.status) + ")");
            for (const auto& c : json) {
                const std::string id = c.value("Id", std::string());
                auto one = http_get_unix(*socket, "/containers/" + id + "/json");
                if (one.status != 200) continue;  // gone meanwhile
                out.push_back(from_api(id, one));
            }
            return out;
        }
        if (!find_program("docker")) return {};
        auto ps = run_tool({"docker", "ps", "-q", "--no-trunc"});
        if (ps.exit_code != 0) {
            throw_if_cli_unreachable(ps);
            throw UserError("'docker ps' failed: " + ps.err);
        }
        auto ids = split_lines(ps.out);
        if (ids.empty()) return {};
        std::vector<std::string> argv{"docker", "inspect", "--type", "container"};
        argv.insert(argv.end(), ids.begin(), ids.end());
        auto json = nlohmann::json::parse(tool_output(argv), nullptr, false);
        if (!json.is_array()) throw UserError("docker inspect printed no JSON array");
        for (const auto& c : json) out.push_back(engine::from_docker_inspect(c, "docker"));
        return out;
    }

  private:
    static ContainerInfo from_api(const std::string& container, const HttpResponse& resp) {
        auto json = nlohmann::json::parse(resp.body, nullptr, false);
        if (resp.status != 200 || json.is_discarded()) {
            std::string msg = json.is_object() && json.contains("message")
                                  ? json["message"].get<std::string>()
                                  : resp.body.substr(0, 200);
            throw UserError("docker: inspecting '" + container + "' failed (HTTP " +
                            std::to_string(resp.status) + "): " + msg);
        }
        return engine::from_docker_inspect(json, "docker");
    }
};

}  // namespace

std::unique_ptr<ContainerResolver> make_docker_resolver() {
    return std::make_unique<DockerResolver>();
}

}  // namespace cntr
