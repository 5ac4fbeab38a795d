// Thin throwing wrappers over the new mount API (fsopen/fsmount/open_tree/
// move_mount, Linux 5.2) and openat2 (Linux 5.6). The new API works on
// detached mounts held by descriptors, so cntr never needs a temporary
// directory inside the container to stage its mounts.
#pragma once

#include <string>

#include "fd.hpp"

namespace cntr {

// openat2(dirfd, path, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): resolves
// `path` as if `dirfd` were "/", so symlinks in a container can never reach
// outside its root. Returns an invalid Fd when the path does not exist.
Fd open_in_root(int root_fd, const std::string& path, int flags);

// A new superblock of `fstype` configured by `options` ("key=value" or flag,
// comma separated), as a detached mount.
Fd make_detached_mount(const std::string& fstype, const std::string& source,
                       const std::string& options, unsigned mount_attrs);

// A detached recursive copy of the mount tree at dirfd/path (AT_EMPTY_PATH when path is "").
Fd clone_mount_tree(int dirfd, const std::string& path, bool recursive = true);

// Attaches a detached mount on top of dirfd/path. `follow` resolves a final symlink.
void attach_mount(int mount_fd, int dirfd, const std::string& path, bool follow = false);

}  // namespace cntr
