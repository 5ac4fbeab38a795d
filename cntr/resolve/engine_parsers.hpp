// Parsers of what the engines print or answer, separate from running them so
// the unit tests can feed them recorded real output (tests/unit/).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "resolver.hpp"

namespace cntr::engine {

// docker/podman inspect (Engine API /containers/NAME/json, or one element of
// `docker inspect`'s array). `cli` names the fix command ("docker", "podman",
// "sudo -u alice podman").
ContainerInfo from_docker_inspect(const nlohmann::json& j, const std::string& cli);

// `lxc-info -n NAME -s -p -H` → state and PID lines ("RUNNING\n1234\n").
ContainerInfo from_lxc_info(const std::string& name, const std::string& out);

// LXD /1.0/instances/NAME?recursion=1 metadata (or `lxc query` output).
ContainerInfo from_lxd_instance(const nlohmann::json& metadata);

// `machinectl show NAME` (Key=Value lines; Leader= is the PID).
ContainerInfo from_machinectl_show(const std::string& name, const std::string& out);

// `ctr -n NS task ls` table: TASK PID STATUS.
struct CtrTask {
    std::string id;
    pid_t pid = 0;
    std::string status;
};
std::vector<CtrTask> parse_ctr_tasks(const std::string& out);
// `ctr -n NS containers ls` table: CONTAINER IMAGE RUNTIME → id → image.
std::vector<std::pair<std::string, std::string>> parse_ctr_containers(const std::string& out);

// Kubernetes "[namespace/]pod[/container]".
struct PodRef {
    std::optional<std::string> ns;
    std::string pod;
    std::optional<std::string> container;
};
std::optional<PodRef> parse_pod_ref(const std::string& s);
// `ctr -n k8s.io containers info ID` JSON → its CRI labels match `ref`.
bool labels_match(const nlohmann::json& info, const PodRef& ref);
// "namespace/pod/container" from the CRI labels.
std::string pod_display_name(const nlohmann::json& info);

// `crictl ps -o json` → the containers whose CRI labels match `ref` (all
// with a pod name when `ref` is null), with name and image; `crictl inspect
// -o json ID` → its PID and state into `c`.
std::vector<ContainerInfo> from_crictl_ps(const nlohmann::json& ps, const PodRef* ref);
void apply_crictl_inspect(ContainerInfo& c, const nlohmann::json& inspect);

// `rkt status UUID`: key=value lines (state=running, pid=N).
ContainerInfo from_rkt_status(const std::string& uuid, const std::string& out);
// `rkt list --full --no-legend`: UUID APP IMAGE-NAME IMAGE-ID STATE ...
std::vector<ContainerInfo> from_rkt_list(const std::string& out);

}  // namespace cntr::engine
