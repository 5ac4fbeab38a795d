#include "cache_pruner.hpp"

#include <linux/fuse.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include "kernel_abi.hpp"
#include "log.hpp"

namespace cntrfs {
namespace {

constexpr size_t kIdsPerNotification = 256;
static_assert(sizeof(fuse_ino_t) == sizeof(uint64_t), "node ids are 64 bits on the wire");
// FORGETs come back asynchronously: time to let them arrive before looking again. Short:
// readdirplus of a big tree adds thousands of nodes per 100 ms.
constexpr auto kSettle = std::chrono::milliseconds(10);
// Nodes younger than this are left alone: the reply that hands them to the kernel may
// not even be out yet (then the kernel has nothing to drop).
constexpr auto kMinAge = std::chrono::milliseconds(20);
// When a round dropped nothing (everything is in use or brand new): waits that double
// up to the last, and start again after a round that did drop something.
constexpr auto kFirstBackoff = std::chrono::milliseconds(20);
constexpr auto kLastBackoff = std::chrono::milliseconds(1000);

}  // namespace

CachePruner::CachePruner(InodeTable& inodes, int device_fd, size_t high_water)
    : inodes_(inodes), device_fd_(device_fd) {
    inodes_.set_high_water(std::max<size_t>(high_water, 16));
    thread_ = std::thread([this] { run(); });
}

CachePruner::~CachePruner() {
    stop_.store(true);
    inodes_.wake();
    thread_.join();
    inodes_.set_high_water(SIZE_MAX);
}

size_t CachePruner::default_high_water(size_t nofile) { return nofile / 2; }

void CachePruner::run() {
    const size_t low_water = inodes_.high_water() / 4 * 3;
    std::chrono::milliseconds backoff = kFirstBackoff;
    while (inodes_.wait_until_over(stop_)) {
        const size_t before = inodes_.size();
        // A lookup out of descriptors while the table is under its mark: the rest of
        // the limit is held by open files, and only cached nodes can give some back.
        const size_t target =
            inodes_.room_wanted() ? std::min(low_water, before / 4 * 3) : low_water;
        if (before <= target) {
            std::this_thread::sleep_for(kSettle);  // nothing to drop: no spinning for the waiter
            continue;
        }
        auto victims = inodes_.least_recently_used(before - target, kMinAge);
        if (!victims.empty()) {
            if (!prune(victims)) {
                inodes_.set_high_water(SIZE_MAX);  // nobody waits for room that will not come
                return;
            }
            std::this_thread::sleep_for(kSettle);
        }
        if (inodes_.size() < before) {
            backoff = kFirstBackoff;
        } else {
            if (inodes_.room_wanted()) {
                std::this_thread::sleep_for(kSettle);
            } else {
                inodes_.pause(backoff, stop_);  // ends early when a lookup needs room
                backoff = std::min(backoff * 2, kLastBackoff);
            }
        }
    }
}

bool CachePruner::prune(const std::vector<fuse_ino_t>& ids) {
    for (size_t at = 0; at < ids.size(); at += kIdsPerNotification) {
        const size_t count = std::min(kIdsPerNotification, ids.size() - at);
        kabi::NotifyPruneOut out{.count = static_cast<uint32_t>(count), .padding = 0, .spare = 0};
        fuse_out_header header{};
        header.len = static_cast<uint32_t>(sizeof(header) + sizeof(out) + count * sizeof(uint64_t));
        header.error = kabi::kNotifyPrune;
        header.unique = 0;
        std::array<iovec, 3> iov{
            iovec{&header, sizeof(header)}, iovec{&out, sizeof(out)},
            iovec{const_cast<fuse_ino_t*>(ids.data() + at), count * sizeof(fuse_ino_t)}};
        if (::writev(device_fd_, iov.data(), static_cast<int>(iov.size())) < 0) {
            if (errno == ENOENT) continue;  // nodes the kernel has already forgotten
            cntr::log::warn(
                "cannot ask the kernel to drop cached inodes ({}; FUSE_NOTIFY_PRUNE needs "
                "Linux 6.18): every inode it caches keeps a descriptor until it forgets it",
                std::strerror(errno));
            return false;
        }
    }
    cntr::log::debug("asked the kernel to drop {} of {} cached inodes", ids.size(), inodes_.size());
    return true;
}

}  // namespace cntrfs
