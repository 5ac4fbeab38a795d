// containerd: every namespace (default, moby, k8s.io, ...) of every daemon
// that runs; a container is named by its id. A docker container also appears
// in the "moby" namespace; resolve_container() treats the two views of the
// same process as one container.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "containerd_access.hpp"
#include "engine_parsers.hpp"
#include "engine_util.hpp"
#include "error.hpp"
#include "resolver.hpp"

namespace cntr {

std::vector<engine::CtrTask> engine::parse_ctr_tasks(const std::string& out) {
    std::vector<CtrTask> tasks;
    for (const auto& line : split_lines(out)) {
        auto w = split_words(line);
        if (w.size() < 3 || w[0] == "TASK") continue;
        tasks.push_back({w[0], static_cast<pid_t>(std::stoi(w[1])), w[2]});
    }
    return tasks;
}

std::vector<std::pair<std::string, std::string>> engine::parse_ctr_containers(
    const std::string& out) {
    std::vector<std::pair<std::string, std::string>> rows;
    for (const auto& line : split_lines(out)) {
        auto w = split_words(line);
        if (w.size() < 2 || w[0] == "CONTAINER") continue;
        rows.emplace_back(w[0], w[1] == "-" ? "" : w[1]);
    }
    return rows;
}

namespace containerd {

namespace {
constexpr const char* kTaskDir = "/io.containerd.runtime.v2.task/";
}

std::vector<Daemon> daemons() {
    std::vector<Daemon> out;
    if (const char* a = std::getenv("CONTAINERD_ADDRESS"); a != nullptr && *a == '/') {
        const std::string sock = a;
        out.push_back({sock, std::filesystem::path(sock).parent_path().string()});
    }
    out.push_back({"/run/containerd/containerd.sock", "/run/containerd"});
    out.push_back(
        {"/var/run/docker/containerd/containerd.sock", "/var/run/docker/containerd/daemon"});
    // A socket we may not connect to (cntr run by an ordinary user) is no
    // daemon of ours: ctr would only fail with "permission denied".
    std::erase_if(out, [](const Daemon& d) {
        return !is_socket(d.socket) || ::access(d.socket.c_str(), R_OK | W_OK) != 0;
    });
    return out;
}

std::vector<std::string> namespaces_with_tasks(const Daemon& d) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(d.state + kTaskDir, ec))
        if (e.is_directory() && !std::filesystem::is_empty(e.path(), ec))
            out.push_back(e.path().filename().string());
    return out;
}

bool has_task_dir(const Daemon& d, const std::string& ns, const std::string& id) {
    if (id.empty() || id.find('/') != std::string::npos || id.starts_with(".")) return false;
    return path_exists(d.state + kTaskDir + ns + "/" + id);
}

std::vector<std::pair<std::string, std::string>> task_dirs(const Daemon& d, const std::string& ns) {
    std::vector<std::pair<std::string, std::string>> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(d.state + kTaskDir + ns, ec)) {
        struct stat st {};
        if (::stat(e.path().c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
        out.emplace_back(e.path().filename().string(), std::to_string(st.st_ino) + ":" +
                                                           std::to_string(st.st_ctim.tv_sec) + "." +
                                                           std::to_string(st.st_ctim.tv_nsec));
    }
    return out;
}

std::string ctr_output(const Daemon& d, const std::string& ns, std::vector<std::string> args) {
    std::vector<std::string> argv{"ctr", "--address", d.socket, "--namespace", ns};
    argv.insert(argv.end(), args.begin(), args.end());
    return tool_output(argv);
}

std::vector<engine::CtrTask> tasks(const Daemon& d, const std::string& ns) {
    return engine::parse_ctr_tasks(ctr_output(d, ns, {"tasks", "ls"}));
}

void apply_task(ContainerInfo& c, const engine::CtrTask* task, const std::string& ns) {
    if (task == nullptr) {
        c.not_attachable = "containerd container " + c.id + " (namespace " + ns +
                           ") has no task; start it with 'ctr -n " + ns + " task start " + c.id +
                           "'";
    } else if (task->status == "PAUSED" || task->status == "PAUSING") {
        c.not_attachable = "containerd task " + c.id + " (namespace " + ns +
                           ") is paused; run 'ctr -n " + ns + " task resume " + c.id + "' first";
    } else if (task->status != "RUNNING" || task->pid <= 0) {
        c.not_attachable = "containerd task " + c.id + " (namespace " + ns + ") is " +
                           task->status + "; restart it (ctr -n " + ns + " task rm " + c.id +
                           " && ctr -n " + ns + " task start " + c.id + ")";
    } else {
        c.pid = task->pid;
    }
}

}  // namespace containerd

namespace {

class ContainerdResolver final : public ContainerResolver {
  public:
    [[nodiscard]] std::string_view name() const override { return "containerd"; }
    [[nodiscard]] bool installed() const override {
        return find_program("ctr").has_value() && !containerd::daemons().empty();
    }
    [[nodiscard]] std::string missing_hint() const override {
        return "containerd is not running or ctr is missing: no socket at $CONTAINERD_ADDRESS or "
               "/run/containerd/containerd.sock (apt install containerd; start containerd)";
    }

    std::vector<ContainerInfo> find(const std::string& container) override {
        std::vector<ContainerInfo> out;
        for (const auto& d : containerd::daemons()) {
            for (const auto& ns : containerd::namespaces_with_tasks(d)) {
                if (!containerd::has_task_dir(d, ns, container)) continue;
                auto tasks = containerd::tasks(d, ns);
                ContainerInfo c;
                c.id = container;
                c.name = container;
                const engine::CtrTask* task = nullptr;
                for (const auto& t : tasks)
                    if (t.id == container) task = &t;
                containerd::apply_task(c, task, ns);
                out.push_back(std::move(c));
            }
        }
        return out;
    }

    std::vector<ContainerInfo> list() override {
        std::vector<ContainerInfo> out;
        for (const auto& d : containerd::daemons()) {
            for (const auto& ns : containerd::namespaces_with_tasks(d)) {
                auto images = engine::parse_ctr_containers(
                    containerd::ctr_output(d, ns, {"containers", "ls"}));
                for (const auto& t : containerd::tasks(d, ns)) {
                    ContainerInfo c;
                    c.id = c.name = t.id;
                    for (const auto& [id, image] : images)
                        if (id == t.id) c.image = image;
                    containerd::apply_task(c, &t, ns);
                    out.push_back(std::move(c));
                }
            }
        }
        return out;
    }
};

}  // namespace

std::unique_ptr<ContainerResolver> make_containerd_resolver() {
    return std::make_unique<ContainerdResolver>();
}

}  // namespace cntr
