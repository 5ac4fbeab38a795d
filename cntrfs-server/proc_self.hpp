// Paths through /proc that the file system needs.
//
// ProcFdPath: "/proc/self/fd/N" for an O_PATH descriptor. O_PATH descriptors cannot be
// read, written, chmod-ed, truncated or given xattrs; re-opening or addressing them
// through their magic link in /proc reaches exactly the inode the descriptor pins (no
// path is resolved again, and a symlink is not followed), unlike openat(parent, name).
//
// fix_proc_self_link: the symlinks /proc/self and /proc/thread-self answer readlink with
// the pid of whoever reads them - the server. Served through the mount they would show
// the server's descriptors and pipes to a shell that lists /proc/self/fd. We rewrite the
// answer to the pid of the process that made the request.
#pragma once

#include <fuse_lowlevel.h>

#include <array>
#include <string>

namespace cntrfs {

class ProcFdPath {
  public:
    explicit ProcFdPath(int fd);
    [[nodiscard]] const char* c_str() const { return buf_.data(); }

  private:
    std::array<char, 32> buf_{};
};

// `target` is what readlink returned for the O_PATH descriptor `fd`. If it is procfs's
// "self" or "thread-self" link as seen by the server, it is rewritten for the caller.
void fix_proc_self_link(fuse_req_t req, int fd, std::string& target);

}  // namespace cntrfs
