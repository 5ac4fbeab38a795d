// The session's filesystem view, built inside a new mount namespace nested
// in the container's (see session_root.cpp for the sequence and its reasons).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "fd.hpp"
#include "process_context.hpp"
#include "session.hpp"

namespace cntr {

struct SessionRoot {
    Fd container_root;     // O_PATH of /var/lib/cntr, the container's own root
    std::string timezone;  // TZ for the session (see timezone_for)
};

// A host directory cloned (open_tree) while still in the host's mount
// namespace, to be attached at the same path in the session.
struct HostDirectory {
    std::string path;
    Fd tree;
};

// The host's directories of well-known Unix sockets named in `names` ("x11":
// /tmp/.X11-unix, "dbus": /run/dbus) that exist. A socket is found by its
// inode, and CNTRFS inodes are not the host's, so a client in the session
// could not connect to a socket seen through CNTRFS; with the real directories
// mounted over the tools' view it connects to the real socket, with no proxy in
// between. So can every process of the container, through /proc/<session
// pid>/root: that is why they are opt-in. Call it in the host's mount namespace.
std::vector<HostDirectory> clone_host_socket_directories(const std::vector<std::string>& names);

// The names clone_host_socket_directories() knows, for checking --host-sockets.
std::vector<std::string> host_socket_names();

// Enters the container's mount namespace, nests a private one inside it and
// makes the tools (served by cntrfs-server over `fuse_dev`) its root, with
// the container's tree at /var/lib/cntr. On return the calling process is
// chrooted into that view. Reads cfg.ctx, cfg.server_sock (the SEQPACKET
// socket to cntrfs-server) and cfg.writable_tools. `host_dirs` are attached
// over the tools' view of the same paths.
SessionRoot build_session_root(const SessionConfig& cfg, Fd fuse_dev,
                               std::vector<HostDirectory> host_dirs = {});

}  // namespace cntr
