// FUSE passthrough (Linux 6.9+): the kernel reads, writes and maps an open file by going
// straight to a backing file we registered, with no READ/WRITE request to us at all.
//
// Registering a backing file (FUSE_DEV_IOC_BACKING_OPEN on /dev/fuse) needs
// CAP_SYS_ADMIN and a kernel that accepted FUSE_PASSTHROUGH in INIT (it does not with the
// writeback cache). The kernel opens its own backing file per FUSE open, with that open's
// flags, so the id only tells it which file; we register a read-only open of it, never
// the opener's handle, whose flock(2) locks must end with its release.
//
// The kernel's rules for one inode: all its passthrough opens must name the same backing
// file, and passthrough and page-cached opens must not overlap (the later open fails
// with EIO). So every open of a regular file is counted per node: a node's backing id is
// registered by its first passthrough open, shared by the passthrough opens that overlap
// it and unregistered with the last of them; a node with plain opens gets plain opens
// until they are all released, and the other way round.
//
// Plain (request-served) opens are also chosen for set-user-id and set-group-id files:
// writes to them must clear those bits the way a local file system does, which the
// server does when it sees the WRITE (credentials.hpp, drop_setid_bits).
//
// When registering is refused for a reason that will not change (no capability, no
// kernel support) no new backing file is registered for the rest of the session; a
// per-file refusal (e.g. a backing file system stacked too deep) makes that open plain.
#pragma once

#include <fuse_lowlevel.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace cntrfs {

class PassthroughFiles {
  public:
    // `enabled`: asked for (--no-passthrough turns it off; the writeback cache excludes it).
    explicit PassthroughFiles(bool enabled) : enabled_(enabled), available_(enabled) {}

    [[nodiscard]] bool enabled() const { return enabled_; }
    // The /dev/fuse descriptor the ioctls go to; set once the session has one.
    void set_device(int fd) { device_fd_.store(fd); }

    // Counts one more open of the regular file `node` with handle `fd`; `setid`: the file
    // has a set-id bit. Returns the backing id to reply with, or 0 for a plain open.
    // Every call must be matched by one release() with passthrough = (result != 0).
    int32_t open(fuse_ino_t node, int fd, bool setid);
    void release(fuse_ino_t node, bool passthrough);

  private:
    struct Entry {
        int32_t backing_id = 0;
        uint32_t passthrough_opens = 0;
        uint32_t plain_opens = 0;
    };
    int32_t register_backing(int fd);

    const bool enabled_;
    std::atomic<bool> available_;
    std::atomic<int> device_fd_{-1};
    std::mutex mutex_;
    std::unordered_map<fuse_ino_t, Entry> entries_;  // guarded by mutex_
};

}  // namespace cntrfs
