// systemd-nspawn (and any machine registered with systemd-machined): machined
// keeps a state file per machine in /run/systemd/machines/NAME, so a name
// without one is answered without D-Bus; `machinectl show NAME` gives the
// Leader (init PID) and State of one that has.
#include <filesystem>

#include "engine_parsers.hpp"
#include "engine_util.hpp"
#include "error.hpp"
#include "resolver.hpp"

namespace cntr {

ContainerInfo engine::from_machinectl_show(const std::string& name, const std::string& out) {
    ContainerInfo c;
    c.name = name;
    c.id = name;
    std::string state;
    for (const auto& line : split_lines(out)) {
        auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        const std::string key = line.substr(0, eq), value = line.substr(eq + 1);
        if (key == "Leader" && !value.empty()) c.pid = std::stoi(value);
        if (key == "State") state = value;
        if (key == "Name" && !value.empty()) c.name = c.id = value;
    }
    if (c.pid <= 0 || (!state.empty() && state != "running"))
        c.not_attachable = "machine " + c.name +
                           " is not running (state: " + (state.empty() ? "unknown" : state) +
                           "); start it with 'machinectl start " + c.name + "'";
    return c;
}

namespace {

constexpr const char* kMachines = "/run/systemd/machines";

class NspawnResolver final : public ContainerResolver {
  public:
    [[nodiscard]] std::string_view name() const override { return "nspawn"; }
    // machined only runs under systemd as PID 1 (/run/systemd/system exists).
    [[nodiscard]] bool installed() const override {
        return find_program("machinectl").has_value() && path_exists("/run/systemd/system");
    }
    [[nodiscard]] std::string missing_hint() const override {
        if (!find_program("machinectl"))
            return "systemd-nspawn machines are found through machinectl, which is not installed "
                   "(apt install systemd-container)";
        return "systemd-nspawn machines are registered with systemd-machined, which needs "
               "systemd as init (PID 1); this system was not booted with systemd. Use -t "
               "process_id with the machine's leader PID instead";
    }

    std::vector<ContainerInfo> find(const std::string& container) override {
        if (container.empty() || container.find('/') != std::string::npos ||
            container.starts_with(".") || !path_exists(std::string(kMachines) + "/" + container))
            return {};
        return {show(container)};
    }

    std::vector<ContainerInfo> list() override {
        std::vector<ContainerInfo> out;
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator(kMachines, ec)) {
            const std::string name = e.path().filename().string();
            // unit:NAME and leader:PID are machined's symlinks, not machines.
            if (name.find(':') != std::string::npos || !e.is_regular_file()) continue;
            out.push_back(show(name));
        }
        return out;
    }

  private:
    static ContainerInfo show(const std::string& name) {
        auto r = run_tool({"machinectl", "show", name});
        if (r.exit_code != 0)
            throw UserError("machinectl show " + name + " failed: " + r.err +
                            " (systemd-machined must be running: nspawn machines need systemd "
                            "as init)");
        return engine::from_machinectl_show(name, r.out);
    }
};

}  // namespace

std::unique_ptr<ContainerResolver> make_nspawn_resolver() {
    return std::make_unique<NspawnResolver>();
}

}  // namespace cntr
