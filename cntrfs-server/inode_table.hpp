// The inode table: which backing file each FUSE node id stands for.
//
// Key. A backing file is identified by (st_dev, st_ino), so the two names of a hard link,
// and every repeated lookup of one name, land on one Inode. The table spans mount points
// (serving host `/` crosses /proc, /sys, /dev, ...); st_dev tells their files apart.
//
// Node ids. Every Inode gets a node id of its own from a 64-bit counter, never reused,
// and the table maps ids to Inodes. (An earlier version used the Inode's address, as
// libfuse's passthrough_hp.cc does: no lock per request, but any stray reference - a
// miscounted lookup, a FORGET racing a reply - becomes a use-after-free of whatever
// now lives at that address. While chasing heap corruption in the benchmark (whose
// cause turned out to be readdir unlocking a handle RELEASEDIR had freed, see
// fs_dirs.cpp) we chose robustness: an id the table does not know is answered with
// ESTALE, and a FORGET for it is logged and ignored.) The cost is one locked hash
// lookup per request, invisible next to a FUSE round trip. The root is FUSE_ROOT_ID and
// lives outside the map.
//
// Every Inode holds an O_PATH | O_NOFOLLOW descriptor. Besides giving fd-relative access
// (no path strings, no symlink following), the descriptor pins the backing inode, so its
// inode number cannot be reused for another file while it is in the table. An Inode
// lives as long as the kernel caches the node, which without memory pressure is forever:
// the table would outgrow the descriptor limit. CachePruner (cache_pruner.hpp) asks the
// kernel to drop the least recently used nodes when it grows past a high-water mark;
// last_use orders them.
//
// Reported inode numbers. All backing mounts appear under the single st_dev of the FUSE
// mount, so two files of different backing devices with the same st_ino would look like
// hard links of each other (tar, du and cp -a merge them; find reports a "file system
// loop" when /boot's root has the same inode number as /'s). Each device therefore gets a
// small tag in order of first sight - the root's device gets 0 - and we report
// st_ino ^ (tag << 48). Files of the root's device keep their real inode numbers.
//
// Locking. One mutex guards the maps and every lookup count. It is a leaf lock: nothing
// else is locked while it is held and no descriptor is closed under it. Lock order in the
// server: DirHandle::mutex (fs_dirs.cpp) -> InodeTable::mutex_.
#pragma once

#include <fuse_lowlevel.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "fd.hpp"

namespace cntrfs {

struct Inode {
    cntr::Fd fd;  // O_PATH | O_NOFOLLOW
    dev_t dev = 0;
    ino_t ino = 0;
    uint64_t ino_tag = 0;    // xor-ed into st_ino when reported, see above
    bool pseudo_fs = false;  // procfs, sysfs, ...: st_size lies, read with direct_io
    uint64_t nlookup = 0;    // guarded by InodeTable::mutex_
    int64_t last_use = 0;    // steady clock (ns) of the last get()/remember(); guarded by mutex_
    fuse_ino_t id = 0;       // the node id; FUSE_ROOT_ID for the root
    // ctime (ns) at which the file was seen without security.capability; -1: unknown
    // (fs_xattr.cpp).
    std::atomic<int64_t> no_capability_ctime{-1};

    // Rewrites st_ino of a stat of this file (or of an entry of this directory that lives
    // on the same device) into the number the mount reports.
    [[nodiscard]] uint64_t reported_ino(ino_t backing) const { return backing ^ ino_tag; }
    void report(struct stat& st) const { st.st_ino = reported_ino(st.st_ino); }
};

class InodeTable {
  public:
    explicit InodeTable(cntr::Fd root_fd);
    InodeTable(const InodeTable&) = delete;
    InodeTable& operator=(const InodeTable&) = delete;

    [[nodiscard]] Inode& root() { return root_; }
    // The Inode a node id names; throws SysError(ESTALE) for an id that is not ours.
    // The kernel holds a reference to every id it sends, so the Inode outlives the
    // request.
    [[nodiscard]] Inode& get(fuse_ino_t id);

    // Counts one more kernel reference to the file `fd` refers to (stat `st`, taken from
    // fd) and returns its Inode; a file already known keeps its descriptor and `fd` is
    // closed.
    Inode& remember(cntr::Fd fd, const struct stat& st);
    // One more kernel reference to an Inode we already hold (link(2) replies).
    void add_ref(Inode& inode);
    // Drops `n` kernel references; the Inode is freed when none are left.
    void forget(fuse_ino_t id, uint64_t n);

    [[nodiscard]] size_t size();

    // For CachePruner: the size above which it prunes; SIZE_MAX (the start): no pruner.
    void set_high_water(size_t n);
    [[nodiscard]] size_t high_water();
    // Blocks until the table holds more than the high-water mark or a lookup waits for
    // room (true), or `stop` is set and wake() was called (false).
    bool wait_until_over(const std::atomic<bool>& stop);
    // Sleeps for `duration`, less if `stop` is set (and wake() called) or a lookup starts
    // waiting for room: the pruner's back-off must not make such a lookup fail.
    void pause(std::chrono::milliseconds duration, const std::atomic<bool>& stop);
    void wake();
    // Whether a lookup is waiting in wait_for_room().
    [[nodiscard]] bool room_wanted();
    // For a lookup that ran out of descriptors: wakes the pruner and waits at most
    // `timeout` until a forgotten Inode has closed its descriptor (true) - after, not
    // before: a retry that races the close would fail again.
    bool wait_for_room(std::chrono::milliseconds timeout);
    // The node ids of the `n` least recently used Inodes not used for `min_age` (the root
    // never): a node just added may not even have reached the kernel yet.
    [[nodiscard]] std::vector<fuse_ino_t> least_recently_used(size_t n,
                                                              std::chrono::nanoseconds min_age);

    // The st_dev of our own FUSE mount when the server can see it (standalone mode with
    // the mountpoint inside the root): lookups that reach it fail with ELOOP instead of
    // sending requests to ourselves. 0 while unknown.
    void set_self_dev(dev_t dev) { self_dev_ = dev; }
    [[nodiscard]] dev_t self_dev() const { return self_dev_; }

  private:
    struct DevInfo {
        uint64_t tag;
        bool pseudo_fs;
    };
    struct Key {
        dev_t dev;
        ino_t ino;
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        size_t operator()(const Key& k) const noexcept {
            return std::hash<uint64_t>{}(k.ino * 0x9E3779B97F4A7C15ULL ^ k.dev);
        }
    };

    DevInfo device(dev_t dev, int fd);

    Inode root_;
    std::atomic<dev_t> self_dev_{0};
    std::mutex mutex_;
    std::unordered_map<Key, std::unique_ptr<Inode>, KeyHash> inodes_;  // guarded by mutex_
    std::unordered_map<fuse_ino_t, Inode*> by_id_;                     // guarded by mutex_
    fuse_ino_t next_id_ = FUSE_ROOT_ID + 1;                            // guarded by mutex_
    size_t high_water_ = SIZE_MAX;      // guarded by mutex_; notify grew_ above it
    size_t room_waiters_ = 0;           // guarded by mutex_; lookups in wait_for_room()
    uint64_t closed_ = 0;               // guarded by mutex_; descriptors closed by forget()
    std::condition_variable grew_;      // over high_water_, a room waiter, or stopping
    std::condition_variable shrank_;    // closed_ moved on (forget), or no pruner any more
    std::map<dev_t, DevInfo> devices_;  // guarded by mutex_
};

}  // namespace cntrfs
