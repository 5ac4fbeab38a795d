#include "inode_table.hpp"

#include <linux/magic.h>
#include <sys/statfs.h>

#include <algorithm>

#include "error.hpp"
#include "log.hpp"

namespace cntrfs {
namespace {

// File systems whose files are generated on read: their st_size is 0 or a page, so the
// kernel's page cache would cut reads short. Files there are opened with direct_io.
bool is_pseudo_fs(int fd) {
    struct statfs sfs {};
    if (::fstatfs(fd, &sfs) != 0) return false;
    switch (static_cast<unsigned long>(sfs.f_type)) {
        case PROC_SUPER_MAGIC:
        case SYSFS_MAGIC:
        case DEBUGFS_MAGIC:
        case TRACEFS_MAGIC:
        case SECURITYFS_MAGIC:
        case CGROUP_SUPER_MAGIC:
        case CGROUP2_SUPER_MAGIC:
        case BPF_FS_MAGIC:
        case EFIVARFS_MAGIC:
        case PSTOREFS_MAGIC:
        case 0x62656570:  // configfs
            return true;
        default:
            return false;
    }
}

int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace

InodeTable::InodeTable(cntr::Fd root_fd) {
    struct stat st {};
    cntr::check(::fstatat(root_fd.get(), "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW),
                "stat root");
    devices_.emplace(st.st_dev, DevInfo{.tag = 0, .pseudo_fs = is_pseudo_fs(root_fd.get())});
    root_.dev = st.st_dev;
    root_.ino = st.st_ino;
    root_.pseudo_fs = devices_.at(st.st_dev).pseudo_fs;
    root_.fd = std::move(root_fd);
    root_.id = FUSE_ROOT_ID;
}

Inode& InodeTable::get(fuse_ino_t id) {
    if (id == FUSE_ROOT_ID) return root_;
    std::lock_guard lock(mutex_);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) throw cntr::SysError("node id unknown to the server", ESTALE);
    it->second->last_use = now_ns();
    return *it->second;
}

InodeTable::DevInfo InodeTable::device(dev_t dev, int fd) {
    {
        std::lock_guard lock(mutex_);
        if (auto it = devices_.find(dev); it != devices_.end()) return it->second;
    }
    // First file of this device: ask its type outside the lock, then register it. Two
    // threads racing here both call fstatfs; the first to insert wins.
    bool pseudo = is_pseudo_fs(fd);
    std::lock_guard lock(mutex_);
    uint64_t tag = static_cast<uint64_t>(devices_.size()) << 48;
    return devices_.try_emplace(dev, DevInfo{.tag = tag, .pseudo_fs = pseudo}).first->second;
}

Inode& InodeTable::remember(cntr::Fd fd, const struct stat& st) {
    DevInfo dev = device(st.st_dev, fd.get());
    cntr::Fd unused;  // declared before the lock: closed after it is released
    std::unique_lock lock(mutex_);
    Key key{st.st_dev, st.st_ino};
    auto it = inodes_.find(key);
    if (it == inodes_.end()) {
        auto inode = std::make_unique<Inode>();
        inode->fd = std::move(fd);
        inode->dev = st.st_dev;
        inode->ino = st.st_ino;
        inode->ino_tag = dev.tag;
        inode->pseudo_fs = dev.pseudo_fs;
        inode->id = next_id_++;
        by_id_.emplace(inode->id, inode.get());
        it = inodes_.emplace(key, std::move(inode)).first;
    } else {
        unused = std::move(fd);
    }
    Inode& inode = *it->second;
    ++inode.nlookup;
    inode.last_use = now_ns();
    const bool over = inodes_.size() > high_water_;
    lock.unlock();
    if (over) grew_.notify_one();
    return inode;
}

void InodeTable::add_ref(Inode& inode) {
    if (&inode == &root_) return;
    std::lock_guard lock(mutex_);
    ++inode.nlookup;
}

void InodeTable::forget(fuse_ino_t id, uint64_t n) {
    if (id == FUSE_ROOT_ID) return;  // the root is never dropped
    std::unique_ptr<Inode> doomed;   // declared before the lock: freed after it is released
    uint64_t underflow = 0;
    ino_t backing_ino = 0;
    bool unknown = false;
    {
        std::lock_guard lock(mutex_);
        auto found = by_id_.find(id);
        unknown = found == by_id_.end();
        if (!unknown) {
            Inode& inode = *found->second;
            if (n > inode.nlookup) {
                underflow = n - inode.nlookup;
                backing_ino = inode.ino;
                n = inode.nlookup;
            }
            inode.nlookup -= n;
            if (inode.nlookup == 0) {
                auto it = inodes_.find(Key{inode.dev, inode.ino});
                doomed = std::move(it->second);
                inodes_.erase(it);
                by_id_.erase(found);
            }
        }
    }
    if (doomed) {
        doomed.reset();  // closes the descriptor, outside the lock
        bool waiters = false;
        {
            std::lock_guard lock(mutex_);
            ++closed_;
            waiters = room_waiters_ > 0;
        }
        if (waiters) shrank_.notify_all();
    }
    if (unknown) {
        cntr::log::error(
            "internal: forget of node id {}, which is not (or no longer) known; "
            "ignored",
            id);
    }
    if (underflow != 0) {
        cntr::log::error("internal: forget of {} more references than known for inode {}",
                         underflow, backing_ino);
    }
}

size_t InodeTable::size() {
    std::lock_guard lock(mutex_);
    return inodes_.size();
}

void InodeTable::set_high_water(size_t n) {
    {
        std::lock_guard lock(mutex_);
        high_water_ = n;
    }
    shrank_.notify_all();  // waiters for room: with no pruner, none is coming
}

size_t InodeTable::high_water() {
    std::lock_guard lock(mutex_);
    return high_water_;
}

bool InodeTable::wait_until_over(const std::atomic<bool>& stop) {
    std::unique_lock lock(mutex_);
    grew_.wait(lock,
               [&] { return stop.load() || inodes_.size() > high_water_ || room_waiters_ > 0; });
    return !stop.load();
}

void InodeTable::pause(std::chrono::milliseconds duration, const std::atomic<bool>& stop) {
    std::unique_lock lock(mutex_);
    grew_.wait_for(lock, duration, [&] { return stop.load() || room_waiters_ > 0; });
}

void InodeTable::wake() {
    { std::lock_guard lock(mutex_); }  // a waiter is either before its check or waiting
    grew_.notify_all();
}

bool InodeTable::room_wanted() {
    std::lock_guard lock(mutex_);
    return room_waiters_ > 0;
}

bool InodeTable::wait_for_room(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (high_water_ == SIZE_MAX) return false;  // no pruner
    const uint64_t closed_before = closed_;
    ++room_waiters_;
    grew_.notify_all();
    const bool closed = shrank_.wait_for(
        lock, timeout, [&] { return high_water_ == SIZE_MAX || closed_ != closed_before; });
    --room_waiters_;
    return closed && closed_ != closed_before;
}

std::vector<fuse_ino_t> InodeTable::least_recently_used(size_t n,
                                                        std::chrono::nanoseconds min_age) {
    std::vector<std::pair<int64_t, fuse_ino_t>> uses;
    {
        const int64_t before = now_ns() - min_age.count();
        std::lock_guard lock(mutex_);
        uses.reserve(by_id_.size());
        for (const auto& [id, inode] : by_id_) {
            if (inode->last_use <= before) uses.emplace_back(inode->last_use, id);
        }
    }
    n = std::min(n, uses.size());
    std::ranges::nth_element(uses, uses.begin() + static_cast<std::ptrdiff_t>(n));
    std::vector<fuse_ino_t> ids;
    ids.reserve(n);
    for (size_t i = 0; i < n; ++i) ids.push_back(uses[i].second);
    return ids;
}

}  // namespace cntrfs
