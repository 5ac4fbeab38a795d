// The two ways cntrfs-server serves a root (see main.cpp's --help for the user's view):
//   standalone_mode.cpp  --mount MOUNTPOINT: mounts, serves, unmounts (tests, benchmarks)
//   attach_mode.cpp      --socket-fd N: serves a /dev/fuse descriptor cntr mounted
// Both return the process exit code; errors meant for the user are thrown as UserError.
#pragma once

#include "options.hpp"

namespace cntrfs {

int serve_standalone(const Options& options);
int serve_attached(const Options& options);

// The exit code for the value FuseSession::loop returned; logs why the loop ended.
int exit_code_of_loop(int loop_result);

}  // namespace cntrfs
