// A plain process id: any process on the host can be a "container".
#include <sys/stat.h>

#include <charconv>
#include <string>

#include "resolver.hpp"

namespace cntr {
namespace {

class ProcessIdResolver final : public ContainerResolver {
  public:
    [[nodiscard]] std::string_view name() const override { return "process_id"; }
    [[nodiscard]] bool installed() const override { return true; }
    [[nodiscard]] std::string missing_hint() const override { return {}; }
    std::vector<ContainerInfo> list() override { return {}; }  // processes are not containers
    [[nodiscard]] bool lists_containers() const override { return false; }
    std::vector<ContainerInfo> find(const std::string& container) override {
        pid_t pid = 0;
        auto [ptr, ec] =
            std::from_chars(container.data(), container.data() + container.size(), pid);
        if (ec != std::errc() || ptr != container.data() + container.size() || pid <= 0) return {};
        struct stat st {};
        if (::stat(("/proc/" + container).c_str(), &st) != 0) return {};
        ContainerInfo c;
        c.name = c.id = container;
        c.pid = pid;
        return {c};
    }
};

}  // namespace

std::unique_ptr<ContainerResolver> make_process_id_resolver() {
    return std::make_unique<ProcessIdResolver>();
}

}  // namespace cntr
