// LXD: its REST API on the daemon's Unix socket ($LXD_DIR/unix.socket,
// /var/lib/lxd/unix.socket for Debian's lxd, or the snap's). GET
// /1.0/instances/NAME/state answers status and init PID in one round trip,
// without starting the `lxc` client.
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "engine_parsers.hpp"
#include "engine_util.hpp"
#include "error.hpp"
#include "resolver.hpp"

namespace cntr {

ContainerInfo engine::from_lxd_instance(const nlohmann::json& m) {
    ContainerInfo c;
    c.name = m.value("name", std::string());
    c.id = c.name;
    if (m.contains("config") && m["config"].is_object())
        c.image = m["config"].value("image.description", std::string());
    const nlohmann::json state = m.contains("state") && m["state"].is_object() ? m["state"] : m;
    const std::string status = state.value("status", m.value("status", std::string("unknown")));
    c.pid = state.value("pid", 0);
    if (status == "Frozen")
        c.not_attachable =
            "LXD instance " + c.name + " is frozen; run 'lxc start " + c.name + "' first";
    else if (status != "Running" || c.pid <= 0)
        c.not_attachable = "LXD instance " + c.name + " is not running (status: " + status +
                           "); start it with 'lxc start " + c.name + "'";
    return c;
}

namespace {

std::optional<std::string> lxd_socket() {
    std::vector<std::string> candidates;
    if (const char* dir = std::getenv("LXD_DIR"); dir != nullptr && *dir != '\0')
        candidates.push_back(std::string(dir) + "/unix.socket");
    candidates.emplace_back("/var/lib/lxd/unix.socket");
    candidates.emplace_back("/var/snap/lxd/common/lxd/unix.socket");
    for (const auto& c : candidates)
        if (is_socket(c) && ::access(c.c_str(), R_OK | W_OK) == 0) return c;
    return std::nullopt;
}

nlohmann::json metadata(const HttpResponse& r, const std::string& what) {
    auto json = nlohmann::json::parse(r.body, nullptr, false);
    if (r.status != 200 || !json.is_object() || !json.contains("metadata"))
        throw UserError("LXD: " + what + " failed (HTTP " + std::to_string(r.status) + "): " +
                        (json.is_object() ? json.value("error", r.body.substr(0, 200))
                                          : r.body.substr(0, 200)));
    return json["metadata"];
}

class LxdResolver final : public ContainerResolver {
  public:
    [[nodiscard]] std::string_view name() const override { return "lxd"; }
    [[nodiscard]] bool installed() const override { return lxd_socket().has_value(); }
    [[nodiscard]] std::string missing_hint() const override {
        return "LXD is not running: no unix.socket in $LXD_DIR, /var/lib/lxd or the snap's "
               "directory; start lxd (and run 'lxd init --minimal' once)";
    }

    std::vector<ContainerInfo> find(const std::string& container) override {
        auto sock = lxd_socket();
        if (!sock || container.find('/') != std::string::npos) return {};
        auto r = http_get_unix(*sock, "/1.0/instances/" + url_escape(container));
        if (r.status == 0 || r.status == 404) return {};
        auto inst = metadata(r, "inspecting instance " + container);
        inst["state"] =
            metadata(http_get_unix(*sock, "/1.0/instances/" + url_escape(container) + "/state"),
                     "reading the state of " + container);
        return {engine::from_lxd_instance(inst)};
    }

    std::vector<ContainerInfo> list() override {
        auto sock = lxd_socket();
        if (!sock) return {};
        auto r = http_get_unix(*sock, "/1.0/instances?recursion=2");
        if (r.status == 0) return {};
        std::vector<ContainerInfo> out;
        for (const auto& m : metadata(r, "listing instances"))
            out.push_back(engine::from_lxd_instance(m));
        return out;
    }
};

}  // namespace

std::unique_ptr<ContainerResolver> make_lxd_resolver() { return std::make_unique<LxdResolver>(); }

}  // namespace cntr
