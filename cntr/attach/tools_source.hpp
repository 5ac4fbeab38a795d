// Where the session's tools come from (--tools / the profile's `tools`):
//
//   host             the host's /
//   container:NAME   a running "fat" container: cntrfs-server joins its user and
//                    mount namespaces and serves its root
//   anything else    a tool image reference, pulled and unpacked on demand by
//                    cntr-fatimg and served read-only with long cache timeouts
#pragma once

#include <string>
#include <vector>

#include "fd.hpp"

namespace cntr {

struct ToolsRoot {
    std::string description;  // for messages: "host", "container fat (PID 42)", image ref
    bool is_host = false;     // the host's own /
    std::string root = "/";   // the directory cntrfs-server serves, in its namespaces
    std::string path;         // PATH for the tools
    bool read_only = false;   // an image: immutable, cached long
    // --writable-tools: served read-write by a server that stays host root. Otherwise
    // read-only by a server that drops to uid 65534 (cntrfs-server --unprivileged).
    bool writable = false;
    std::vector<std::string> server_args;  // further cntrfs-server options
    std::vector<Fd> setns_fds;             // namespaces cntrfs-server joins first, in order
};

struct ToolsRequest {
    std::string spec = "host";
    std::string pull = "missing";              // missing | always | never
    std::vector<std::string> container_types;  // engines for container:NAME
};

ToolsRoot prepare_tools(const ToolsRequest& request);

// A tool image from the cntr-fatimg store (tools_image.cpp).
ToolsRoot image_tools(const std::string& reference, const std::string& pull);

// Creates `relative` (e.g. "var/lib/cntr") below `root_fd`, resolving every
// existing component inside that root, so a symlink can never redirect it.
void ensure_directory_in_root(int root_fd, const std::string& relative);

}  // namespace cntr
