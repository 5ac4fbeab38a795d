// The CRI labels of containerd's k8s.io tasks, cached.
//
// Reading labels costs a `ctr containers info` (a Go binary, ~10 ms) per
// container, and every `cntr attach NAME` must ask the kubernetes resolver
// (ambiguity detection), so on a node with pods that would be paid on every
// attach. Labels of a container never change after creation, so they are
// kept in /run/cntr/kubernetes-labels.json (root only, tmpfs: gone at
// reboot), keyed by daemon socket, task id and a generation of the task
// directory (inode and ctime, new when an id is reused). Steady state: one
// readdir and one small file read. Without a writable /run/cntr (not root),
// nothing is cached.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "containerd_access.hpp"

namespace cntr::kubernetes {

struct TaskLabels {
    std::string id;
    nlohmann::json info;  // {"Labels": {...}, "Image": "..."}
};

// Every task of the k8s.io namespace of `d` with its labels.
std::vector<TaskLabels> k8s_task_labels(const containerd::Daemon& d);

}  // namespace cntr::kubernetes
