// Usage lines CLI11 cannot write: a session's command after "--" and the
// actions of `cntr profiles` are beyond its notation, so a subcommand may set
// its own line, which then replaces CLI11's (help printed two before).
#include <map>
#include <memory>

#include "subcommands.hpp"

namespace cntr::cli {
namespace {

class UsageFormatter final : public CLI::Formatter {
  public:
    std::string make_usage(const CLI::App* app, std::string name) const override {
        if (auto it = usages_.find(app); it != usages_.end()) return "Usage: " + it->second + "\n";
        return CLI::Formatter::make_usage(app, std::move(name));
    }
    void set(const CLI::App* app, std::string usage) { usages_[app] = std::move(usage); }

  private:
    std::map<const CLI::App*, std::string> usages_;
};

}  // namespace

void install_usage_formatter(CLI::App& app) { app.formatter(std::make_shared<UsageFormatter>()); }

void set_usage(CLI::App* cmd, std::string usage) {
    // Subcommands share their parent's formatter (install_usage_formatter ran first).
    auto formatter = std::dynamic_pointer_cast<UsageFormatter>(cmd->get_formatter());
    if (formatter) formatter->set(cmd, std::move(usage));
}

}  // namespace cntr::cli
