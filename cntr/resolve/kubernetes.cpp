// Kubernetes: "[namespace/]pod[/container]", resolved through the CRI labels
// (io.kubernetes.pod.name, io.kubernetes.pod.namespace,
// io.kubernetes.container.name) that the kubelet puts on containers in
// containerd's k8s.io namespace. Sandboxes (pause containers) never match.
// Without a namespace every namespace is searched; without a container name
// the pod must have exactly one (otherwise the error lists them).
//
// Cost: nothing unless containerd has tasks in k8s.io; then the labels come
// from a cache (kubernetes_labels.cpp: `ctr containers info` once per new
// task), and `ctr tasks ls` runs only when a container matches. When `crictl` is installed (other
// CRI runtimes, CRI-O), it is asked too: `crictl ps -o json`, and `crictl inspect` for each
// match containerd did not already find under the same id; the same container seen
// through both is one (same PID).
#include <algorithm>
#include <nlohmann/json.hpp>

#include "containerd_access.hpp"
#include "engine_parsers.hpp"
#include "engine_util.hpp"
#include "error.hpp"
#include "kubernetes_labels.hpp"
#include "resolver.hpp"

namespace cntr {

namespace {
constexpr const char* kNs = "k8s.io";
constexpr const char* kPodName = "io.kubernetes.pod.name";
constexpr const char* kPodNamespace = "io.kubernetes.pod.namespace";
constexpr const char* kContainerName = "io.kubernetes.container.name";

std::string label(const nlohmann::json& info, const char* key) {
    if (!info.contains("Labels") || !info["Labels"].is_object()) return {};
    return info["Labels"].value(key, std::string());
}

bool valid_part(const std::string& s) {
    return !s.empty() && s.find_first_of("\"\\ \t") == std::string::npos;
}
}  // namespace

std::optional<engine::PodRef> engine::parse_pod_ref(const std::string& s) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
        auto slash = s.find('/', start);
        parts.push_back(s.substr(start, slash - start));
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    for (const auto& p : parts)
        if (!valid_part(p)) return std::nullopt;
    switch (parts.size()) {
        case 1:
            return PodRef{std::nullopt, parts[0], std::nullopt};
        case 2:
            return PodRef{parts[0], parts[1], std::nullopt};
        case 3:
            return PodRef{parts[0], parts[1], parts[2]};
        default:
            return std::nullopt;
    }
}

bool engine::labels_match(const nlohmann::json& info, const PodRef& ref) {
    if (label(info, "io.cri-containerd.kind") == "sandbox") return false;
    if (label(info, kContainerName).empty()) return false;
    if (label(info, kPodName) != ref.pod) return false;
    if (ref.ns && label(info, kPodNamespace) != *ref.ns) return false;
    if (ref.container && label(info, kContainerName) != *ref.container) return false;
    return true;
}

std::string engine::pod_display_name(const nlohmann::json& info) {
    std::string ns = label(info, kPodNamespace);
    return (ns.empty() ? "default" : ns) + "/" + label(info, kPodName) + "/" +
           label(info, kContainerName);
}

std::vector<ContainerInfo> engine::from_crictl_ps(const nlohmann::json& ps, const PodRef* ref) {
    std::vector<ContainerInfo> out;
    if (!ps.contains("containers") || !ps["containers"].is_array()) return out;
    for (const auto& c : ps["containers"]) {
        nlohmann::json info{{"Labels", c.value("labels", nlohmann::json::object())}};
        if (ref != nullptr ? !labels_match(info, *ref) : label(info, kPodName).empty()) continue;
        ContainerInfo ci;
        ci.id = c.value("id", std::string());
        ci.name = pod_display_name(info);
        if (c.contains("image") && c["image"].is_object())
            ci.image = c["image"].value("image", std::string());
        if (c.value("state", std::string()) != "CONTAINER_RUNNING")
            ci.not_attachable = "Kubernetes container " + ci.name + " is not running (" +
                                c.value("state", std::string("unknown")) + ")";
        out.push_back(std::move(ci));
    }
    return out;
}

void engine::apply_crictl_inspect(ContainerInfo& c, const nlohmann::json& inspect) {
    if (inspect.contains("info") && inspect["info"].is_object())
        c.pid = inspect["info"].value("pid", 0);
    std::string state;
    if (inspect.contains("status") && inspect["status"].is_object())
        state = inspect["status"].value("state", std::string());
    if (c.not_attachable.empty() &&
        (c.pid <= 0 || (!state.empty() && state != "CONTAINER_RUNNING")))
        c.not_attachable = "Kubernetes container " + c.name + " is not running (" +
                           (state.empty() ? "no PID" : state) + ")";
}

namespace {

// Through crictl: whatever CRI runtime it is configured for. Containers in `known` (found
// through containerd already, under the same id) are left out before any `crictl
// inspect`, which costs a process and a CRI round trip each.
std::vector<ContainerInfo> crictl_find(const engine::PodRef* ref,
                                       const std::vector<ContainerInfo>& known) {
    if (!find_program("crictl")) return {};
    auto ps = nlohmann::json::parse(tool_output({"crictl", "ps", "-o", "json"}), nullptr, false);
    if (!ps.is_object()) throw UserError("crictl ps -o json printed no JSON object");
    auto found = engine::from_crictl_ps(ps, ref);
    std::erase_if(found, [&](const ContainerInfo& c) {
        return std::ranges::any_of(known, [&](const auto& k) { return k.id == c.id; });
    });
    for (auto& c : found) {
        if (!c.not_attachable.empty()) continue;
        auto inspect = nlohmann::json::parse(tool_output({"crictl", "inspect", "-o", "json", c.id}),
                                             nullptr, false);
        if (inspect.is_object()) engine::apply_crictl_inspect(c, inspect);
    }
    return found;
}

void append_new(std::vector<ContainerInfo>& out, std::vector<ContainerInfo> more) {
    for (auto& c : more)
        if (std::ranges::none_of(out, [&](const auto& o) { return o.pid > 0 && o.pid == c.pid; }))
            out.push_back(std::move(c));
}

class KubernetesResolver final : public ContainerResolver {
  public:
    [[nodiscard]] std::string_view name() const override { return "kubernetes"; }
    [[nodiscard]] bool installed() const override {
        return (find_program("ctr").has_value() && !containerd::daemons().empty()) ||
               find_program("crictl").has_value();
    }
    [[nodiscard]] std::string missing_hint() const override {
        return "Kubernetes pods are found through containerd's k8s.io namespace or crictl, but "
               "neither is available (no /run/containerd/containerd.sock or no ctr, no crictl)";
    }

    std::vector<ContainerInfo> find(const std::string& container) override {
        auto ref = engine::parse_pod_ref(container);
        if (!ref) return {};
        std::vector<ContainerInfo> out;
        for (const auto& d : k8s_daemons()) {
            std::vector<kubernetes::TaskLabels> matches;
            for (auto& t : kubernetes::k8s_task_labels(d))
                if (engine::labels_match(t.info, *ref)) matches.push_back(std::move(t));
            if (matches.empty()) continue;
            auto tasks = containerd::tasks(d, kNs);
            for (const auto& m : matches) out.push_back(make_info(m.id, m.info, tasks));
        }
        append_new(out, crictl_find(&*ref, out));
        return out;
    }

    std::vector<ContainerInfo> list() override {
        std::vector<ContainerInfo> out;
        for (const auto& d : k8s_daemons()) {
            auto labelled = kubernetes::k8s_task_labels(d);
            if (labelled.empty()) continue;
            auto tasks = containerd::tasks(d, kNs);
            for (const auto& t : labelled) {
                if (label(t.info, kPodName).empty() || label(t.info, kContainerName).empty())
                    continue;
                out.push_back(make_info(t.id, t.info, tasks));
            }
        }
        append_new(out, crictl_find(nullptr, out));
        return out;
    }

  private:
    static std::vector<containerd::Daemon> k8s_daemons() {
        std::vector<containerd::Daemon> out;
        for (const auto& d : containerd::daemons()) {
            auto nss = containerd::namespaces_with_tasks(d);
            if (std::ranges::find(nss, kNs) != nss.end()) out.push_back(d);
        }
        return out;
    }

    static ContainerInfo make_info(const std::string& id, const nlohmann::json& info,
                                   const std::vector<engine::CtrTask>& tasks) {
        ContainerInfo c;
        c.id = id;
        c.name = engine::pod_display_name(info);
        c.image = info.value("Image", std::string());
        const engine::CtrTask* task = nullptr;
        for (const auto& t : tasks)
            if (t.id == id) task = &t;
        containerd::apply_task(c, task, kNs);
        return c;
    }
};

}  // namespace

std::unique_ptr<ContainerResolver> make_kubernetes_resolver() {
    return std::make_unique<KubernetesResolver>();
}

}  // namespace cntr
