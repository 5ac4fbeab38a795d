// Starting cntrfs-server for the tools root. It is a separate program so a
// crash in the filesystem server cannot take the attacher (and the user's
// terminal) down with it, and so it can later join a fat container's
// namespaces without disturbing cntr.
#pragma once

#include <string>

#include "child_process.hpp"
#include "fd.hpp"
#include "tools_source.hpp"

namespace cntr {

// The cntrfs-server binary: $CNTR_CNTRFS_SERVER, else next to cntr itself.
std::string cntrfs_server_path();

// Starts cntrfs-server serving `tools`; it receives the FUSE descriptor on `sock`.
ChildProcess start_tools_server(const ToolsRoot& tools, Fd sock);

}  // namespace cntr
