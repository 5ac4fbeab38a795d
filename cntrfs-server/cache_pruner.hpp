// Keeps the inode table under a descriptor budget.
//
// Every node the kernel caches holds one of our descriptors (inode_table.hpp), and the
// kernel keeps nodes until memory gets tight - on a machine with plenty of it, never.
// Untar of /usr/include three times, or a find over a big tree, then ends in EMFILE for
// every lookup. So when the table grows past a high-water mark, this thread asks the
// kernel (FUSE_NOTIFY_PRUNE, Linux 6.18+) to drop the least recently used nodes; what
// nothing uses is dropped and comes back as FORGET, which closes the descriptor. Nodes
// in use (open files, working directories, directories with cached children) are kept
// by the kernel; their children go first, the directories in a later round.
//
// On a kernel without FUSE_NOTIFY_PRUNE the first notification fails; the pruner says so
// once and stops, and the table grows as before.
#pragma once

#include <atomic>
#include <cstddef>
#include <thread>

#include "inode_table.hpp"

namespace cntrfs {

class CachePruner {
  public:
    // Prunes down to 3/4 of `high_water` whenever `inodes` holds more than `high_water`
    // Inodes, notifying on the /dev/fuse descriptor `device_fd` (which must outlive this).
    CachePruner(InodeTable& inodes, int device_fd, size_t high_water);
    ~CachePruner();
    CachePruner(const CachePruner&) = delete;
    CachePruner& operator=(const CachePruner&) = delete;

    // The high-water mark for a process whose descriptor limit is `nofile`: half of it,
    // the other half left for open files and directories.
    [[nodiscard]] static size_t default_high_water(size_t nofile);

  private:
    void run();
    // Sends FUSE_NOTIFY_PRUNE for `ids`; false if the kernel refused it.
    bool prune(const std::vector<fuse_ino_t>& ids);

    InodeTable& inodes_;
    const int device_fd_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace cntrfs
