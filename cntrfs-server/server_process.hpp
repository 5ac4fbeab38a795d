// Process-wide setup shared by both serving modes: opening the root, the descriptor
// limit, the umask, closing inherited descriptors, finding our own mount.
#pragma once

#include <sys/types.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "fd.hpp"

namespace cntrfs {

// Opens the served directory with O_PATH; errors read "--root DIR: <reason>".
cntr::Fd open_root(const std::string& path);

// The same, opened by a short-lived child that first joins the namespaces of
// `setns_fds` in order (--setns-fd; e.g. a fat container's user, then mnt namespace).
// The server stays in its own namespaces: its /proc/self keeps working, it may still
// mount in standalone mode, and it keeps its capabilities in the initial user
// namespace; fd-relative lookups from the descriptor walk the other namespace's mount
// tree. A descriptor naming the namespace we are already in is skipped (setns would
// refuse a user namespace we are in with EINVAL). The descriptors are closed.
cntr::Fd open_root_in_namespaces(const std::string& path, const std::vector<int>& setns_fds);

// umask 0 (the kernel already applied the caller's) and the descriptor limit raised to
// its hard maximum: every inode the kernel knows holds one descriptor.
void prepare_process();

// Closes every descriptor from 3 up except `keep`.
void close_other_fds(std::initializer_list<int> keep);

// The device number of the FUSE mount at `mountpoint` (a canonical path) as the server
// sees it in /proc/self/mountinfo, or 0.
dev_t find_fuse_mount_dev(const std::string& mountpoint);

}  // namespace cntrfs
