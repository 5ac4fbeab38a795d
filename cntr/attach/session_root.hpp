// The session's filesystem view, built inside a new mount namespace nested
// in the container's (see session_root.cpp for the sequence and its reasons).
#pragma once

#include <optional>
#include <string>

#include "fd.hpp"
#include "process_context.hpp"

namespace cntr {

struct SessionRoot {
    Fd container_root;     // O_PATH of /var/lib/cntr, the container's own root
    std::string timezone;  // TZ for the session (see timezone_for)
};

// Enters the container's mount namespace, nests a private one inside it and
// makes the tools (served by cntrfs-server over `fuse_dev`) its root, with
// the container's tree at /var/lib/cntr. On return the calling process is
// chrooted into that view. `server_sock` is the SEQPACKET socket to cntrfs-server.
SessionRoot build_session_root(const ProcessContext& ctx, Fd fuse_dev, int server_sock);

}  // namespace cntr
