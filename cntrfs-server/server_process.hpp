// Process-wide setup shared by both serving modes: opening the root, the descriptor
// limit, the umask, closing inherited descriptors, finding our own mount.
#pragma once

#include <sys/types.h>

#include <initializer_list>
#include <string>

#include "fd.hpp"

namespace cntrfs {

// Opens the served directory with O_PATH; errors read "--root DIR: <reason>".
cntr::Fd open_root(const std::string& path);

// umask 0 (the kernel already applied the caller's) and the descriptor limit raised to
// its hard maximum: every inode the kernel knows holds one descriptor.
void prepare_process();

// Closes every descriptor from 3 up except `keep`.
void close_other_fds(std::initializer_list<int> keep);

// The device number of the FUSE mount at `mountpoint` (a canonical path) as the server
// sees it in /proc/self/mountinfo, or 0.
dev_t find_fuse_mount_dev(const std::string& mountpoint);

}  // namespace cntrfs
