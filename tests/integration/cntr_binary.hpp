// The cntr binary under test and helpers to run it.
#pragma once

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
// Number of running cntrfs-server processes.
int cntrfs_server_count();

}  // namespace cntr::test
