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
    std::optional<pid_t> resolve(const std::string& container) override {
        pid_t pid = 0;
        auto [ptr, ec] =
            std::from_chars(container.data(), container.data() + container.size(), pid);
        if (ec != std::errc() || ptr != container.data() + container.size() || pid <= 0)
            return std::nullopt;
        struct stat st {};
        if (::stat(("/proc/" + container).c_str(), &st) != 0) return std::nullopt;
        return pid;
    }
};

}  // namespace

std::unique_ptr<ContainerResolver> make_process_id_resolver() {
    return std::make_unique<ProcessIdResolver>();
}

}  // namespace cntr
