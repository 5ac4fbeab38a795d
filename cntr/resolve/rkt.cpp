// rkt (archived upstream, no Debian package): pods live in
// /var/lib/rkt/pods/run/UUID while running, so a name that is no prefix of
// such a UUID is answered without starting rkt; `rkt status UUID` (key=value
// lines) gives state and pid of one that is.
#include <filesystem>

#include "engine_parsers.hpp"
#include "engine_util.hpp"
#include "error.hpp"
#include "resolver.hpp"

namespace cntr {

ContainerInfo engine::from_rkt_status(const std::string& uuid, const std::string& out) {
    ContainerInfo c;
    c.name = c.id = uuid;
    std::string state;
    for (const auto& line : split_lines(out)) {
        auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        const std::string key = line.substr(0, eq), value = line.substr(eq + 1);
        if (key == "state") state = value;
        if (key == "pid" && !value.empty()) c.pid = std::stoi(value);
    }
    if (state != "running" || c.pid <= 0)
        c.not_attachable = "rkt pod " + uuid +
                           " is not running (state: " + (state.empty() ? "unknown" : state) +
                           "); start a new pod with 'rkt run'";
    return c;
}

std::vector<ContainerInfo> engine::from_rkt_list(const std::string& out) {
    std::vector<ContainerInfo> pods;
    for (const auto& line : split_lines(out)) {
        // Tab-separated: UUID APP IMAGE-NAME IMAGE-ID STATE CREATED STARTED NETWORKS
        std::vector<std::string> cols;
        size_t start = 0;
        while (true) {
            auto tab = line.find('\t', start);
            cols.push_back(line.substr(start, tab - start));
            if (tab == std::string::npos) break;
            start = tab + 1;
        }
        if (cols.size() < 5 || cols[0] == "UUID") continue;
        ContainerInfo c;
        c.name = c.id = cols[0];
        c.image = cols[2];
        if (cols[4] != "running") c.not_attachable = "not running";
        pods.push_back(std::move(c));
    }
    return pods;
}

namespace {

constexpr const char* kRunDir = "/var/lib/rkt/pods/run";

class RktResolver final : public ContainerResolver {
  public:
    [[nodiscard]] std::string_view name() const override { return "rkt"; }
    [[nodiscard]] bool installed() const override { return find_program("rkt").has_value(); }
    [[nodiscard]] std::string missing_hint() const override {
        return "rkt is not installed (no rkt on PATH; rkt is archived and has no Debian "
               "package): use -t process_id with the pod's PID instead";
    }

    std::vector<ContainerInfo> find(const std::string& container) override {
        if (container.size() < 4) return {};
        std::vector<ContainerInfo> out;
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator(kRunDir, ec)) {
            const std::string uuid = e.path().filename().string();
            if (uuid.starts_with(container)) out.push_back(status(uuid));
        }
        return out;
    }

    std::vector<ContainerInfo> list() override {
        std::vector<ContainerInfo> out;
        for (auto& pod :
             engine::from_rkt_list(tool_output({"rkt", "list", "--full", "--no-legend"}))) {
            if (!pod.not_attachable.empty()) continue;
            auto st = status(pod.id);
            st.image = pod.image;
            out.push_back(std::move(st));
        }
        return out;
    }

  private:
    static ContainerInfo status(const std::string& uuid) {
        return engine::from_rkt_status(uuid, tool_output({"rkt", "status", uuid}));
    }
};

}  // namespace

std::unique_ptr<ContainerResolver> make_rkt_resolver() { return std::make_unique<RktResolver>(); }

}  // namespace cntr
