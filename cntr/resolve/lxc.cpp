// LXC (lxc-start and friends, not LXD): a container is a directory with a
// config file under lxc.lxcpath (/var/lib/lxc, or $CNTR_LXC_PATH), so a name
// that has none is answered without starting anything; `lxc-info -n NAME -s
// -p` gives the state and the init PID of one that has.
#include <cstdlib>
#include <filesystem>

#include "engine_parsers.hpp"
#include "engine_util.hpp"
#include "error.hpp"
#include "resolver.hpp"

namespace cntr {

ContainerInfo engine::from_lxc_info(const std::string& name, const std::string& out) {
    ContainerInfo c;
    c.name = name;
    c.id = name;
    std::string state;
    for (const auto& line : split_lines(out)) {
        auto words = split_words(line);
        if (words.size() < 2) continue;
        if (words[0] == "State:") state = words[1];
        if (words[0] == "PID:") c.pid = std::stoi(words[1]);
    }
    if (state == "FROZEN")
        c.not_attachable =
            "LXC container " + name + " is frozen; run 'lxc-unfreeze -n " + name + "' first";
    else if (state != "RUNNING" || c.pid <= 0)
        c.not_attachable = "LXC container " + name +
                           " is not running (state: " + (state.empty() ? "unknown" : state) +
                           "); start it with 'lxc-start -n " + name + "'";
    return c;
}

namespace {

std::string lxc_path() {
    const char* env = std::getenv("CNTR_LXC_PATH");
    return env != nullptr && *env == '/' ? env : "/var/lib/lxc";
}

bool valid_name(const std::string& name) {
    return !name.empty() && name.find('/') == std::string::npos && name != "." && name != "..";
}

class LxcResolver final : public ContainerResolver {
  public:
    [[nodiscard]] std::string_view name() const override { return "lxc"; }
    [[nodiscard]] bool installed() const override { return find_program("lxc-info").has_value(); }
    [[nodiscard]] std::string missing_hint() const override {
        return "LXC is not installed (no lxc-info on PATH); install it (apt install lxc)";
    }

    std::vector<ContainerInfo> find(const std::string& container) override {
        if (!valid_name(container) || !path_exists(lxc_path() + "/" + container + "/config"))
            return {};
        return {info(container)};
    }

    std::vector<ContainerInfo> list() override {
        std::vector<ContainerInfo> out;
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator(lxc_path(), ec)) {
            const std::string name = e.path().filename().string();
            if (!path_exists(e.path().string() + "/config")) continue;
            out.push_back(info(name));
        }
        return out;
    }

  private:
    static ContainerInfo info(const std::string& name) {
        return engine::from_lxc_info(
            name, tool_output({"lxc-info", "-P", lxc_path(), "-n", name, "-s", "-p"}));
    }
};

}  // namespace

std::unique_ptr<ContainerResolver> make_lxc_resolver() { return std::make_unique<LxcResolver>(); }

}  // namespace cntr
