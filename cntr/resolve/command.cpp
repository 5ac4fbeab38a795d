// A command-line pattern: the process whose /proc/PID/cmdline contains it.
// cntr's own process and its ancestors are never candidates (their command
// lines contain the pattern too). More than one match is an error that lists
// them, so the user can pick a PID instead of attaching to a surprise.
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <set>
#include <string>

#include "error.hpp"
#include "file_io.hpp"
#include "process_context.hpp"
#include "resolver.hpp"

namespace cntr {
namespace {

std::optional<pid_t> parse_pid(const char* s) {
    pid_t pid = 0;
    std::string_view v(s);
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), pid);
    if (ec != std::errc() || ptr != v.data() + v.size()) return std::nullopt;
    return pid;
}

std::set<pid_t> own_ancestry() {
    std::set<pid_t> out;
    for (pid_t p = ::getpid(); p > 1;) {
        out.insert(p);
        try {
            auto ppid = status_field(read_file("/proc/" + std::to_string(p) + "/status"), "PPid");
            if (!ppid) break;
            p = std::stoi(*ppid);
        } catch (const std::exception&) {
            break;
        }
    }
    return out;
}

class CommandResolver final : public ContainerResolver {
  public:
    [[nodiscard]] std::string_view name() const override { return "command"; }
    [[nodiscard]] bool installed() const override { return true; }
    [[nodiscard]] std::string missing_hint() const override { return {}; }
    std::vector<ContainerInfo> list() override { return {}; }  // processes are not containers
    [[nodiscard]] bool lists_containers() const override { return false; }
    std::vector<ContainerInfo> find(const std::string& pattern) override {
        const auto skip = own_ancestry();
        auto close_dir = [](DIR* d) { ::closedir(d); };
        std::unique_ptr<DIR, decltype(close_dir)> dir(::opendir("/proc"), close_dir);
        if (!dir) throw_errno("opendir /proc");
        std::vector<std::pair<pid_t, std::string>> matches;
        while (dirent* d = ::readdir(dir.get())) {
            auto pid = parse_pid(d->d_name);
            if (!pid || skip.contains(*pid)) continue;
            std::string cmdline;
            try {
                cmdline = read_file(std::string("/proc/") + d->d_name + "/cmdline");
            } catch (const SysError&) {
                continue;  // exited meanwhile
            }
            if (cmdline.empty()) continue;  // kernel thread
            std::ranges::replace(cmdline, '\0', ' ');
            if (cmdline.find(pattern) != std::string::npos) matches.emplace_back(*pid, cmdline);
        }
        if (matches.empty()) return {};
        if (matches.size() > 1) {
            std::string list;
            for (const auto& [pid, cmd] : matches)
                list += "\n  " + std::to_string(pid) + "  " + cmd;
            throw UserError("command pattern '" + pattern + "' matches " +
                            std::to_string(matches.size()) +
                            " processes; give one of these process ids instead:" + list);
        }
        ContainerInfo c;
        c.pid = matches.front().first;
        c.name = pattern;
        c.id = std::to_string(c.pid);
        return {c};
    }
};

}  // namespace

std::unique_ptr<ContainerResolver> make_command_resolver() {
    return std::make_unique<CommandResolver>();
}

}  // namespace cntr
