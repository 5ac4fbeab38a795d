// Reaching containerd, shared by the containerd and kubernetes resolvers.
//
// Running tasks show up as directories <state>/io.containerd.runtime.v2.task/
// NAMESPACE/ID of the daemon's state directory, so a lookup by id costs a
// stat() and `ctr` (a Go binary, ~30 ms) only runs for ids that exist.
// Several daemons may run: the system one and dockerd's private one.
#pragma once

#include <string>
#include <vector>

#include "engine_parsers.hpp"

namespace cntr::containerd {

struct Daemon {
    std::string socket;
    std::string state;  // --state directory
};

// Daemons whose socket exists ($CONTAINERD_ADDRESS first).
std::vector<Daemon> daemons();
// Namespaces that have at least one running (or stopped, not deleted) task.
std::vector<std::string> namespaces_with_tasks(const Daemon& d);
bool has_task_dir(const Daemon& d, const std::string& ns, const std::string& id);
// Task ids of a namespace with a generation ("inode:ctime" of the task
// directory) that changes when an id is reused.
std::vector<std::pair<std::string, std::string>> task_dirs(const Daemon& d, const std::string& ns);
std::vector<engine::CtrTask> tasks(const Daemon& d, const std::string& ns);
std::string ctr_output(const Daemon& d, const std::string& ns, std::vector<std::string> args);
// Fills pid / not_attachable of `c` from a task; `fix` names the engine.
void apply_task(ContainerInfo& c, const engine::CtrTask* task, const std::string& ns);

}  // namespace cntr::containerd
