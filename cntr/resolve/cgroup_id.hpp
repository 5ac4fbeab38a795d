// Container ids as Kubernetes reports them (containerStatuses[].containerID:
// "containerd://ID", "cri-o://ID", "docker://ID") -> the container's process, found by
// its cgroup, whatever the runtime. A node helper (kubectl cntr) knows the pod's ID
// but not which engine CLI or socket the node has; every runtime puts the ID in the
// container's cgroup path, with cgroup v1 or v2 and the cgroupfs or systemd driver:
//   /kubepods/burstable/pod<UID>/<ID>                       cgroupfs
//   /kubepods.slice/.../cri-containerd-<ID>.scope            systemd (containerd)
//   /kubepods.slice/.../crio-<ID>.scope                      systemd (CRI-O)
//   /docker/<ID>, /system.slice/docker-<ID>.scope            docker
//   /libpod_parent/libpod-<ID>, machine.slice/libpod-<ID>.scope  podman
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cntr {

// The ID of "RUNTIME://ID" for the runtimes above, or of a bare 64-hex-digit ID;
// nullopt for anything else (a name: other engines answer it).
std::optional<std::string> container_id_of_reference(std::string_view reference);

// Whether a /proc/PID/cgroup text puts the process in the cgroup of container `id`:
// a path component is the ID, or a systemd scope "<prefix>-ID.scope". CRI-O's monitor
// (crio-conmon-ID.scope) is not the container.
bool cgroup_names_container(std::string_view proc_cgroup, std::string_view id);

}  // namespace cntr
