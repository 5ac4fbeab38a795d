// The cntr binary under test and helpers to run it.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "run_process.hpp"

namespace cntr::test {

inline const std::string kCntr = CNTR_BINARY;

// cntr attach CONTAINER -- argv..., with pipes.
ProcessResult attach(const std::string& container, const std::vector<std::string>& argv,
                     const std::string& input = {});
// cntr attach CONTAINER -- sh -c SCRIPT (the tools' sh).
ProcessResult attach_sh(const std::string& container, const std::string& script);

// Lines of every mountinfo that could show a leftover cntr mount.
std::string host_mountinfo();
// The running (not zombie) cntrfs-server processes, each as "PID STARTTIME" so that a
// reused PID is a different process.
std::set<std::string> cntrfs_servers();
// The servers of `now` that were not in `before`: what a session left behind. Servers of
// earlier tests that end meanwhile do not count (comparing counts made them flaky).
std::set<std::string> new_cntrfs_servers(const std::set<std::string>& before);

}  // namespace cntr::test
