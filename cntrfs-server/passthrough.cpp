#include "passthrough.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

#include "fd.hpp"
#include "kernel_abi.hpp"
#include "log.hpp"
#include "proc_self.hpp"

namespace cntrfs {

int32_t PassthroughFiles::register_backing(int fd) {
    if (!available_.load(std::memory_order_relaxed)) return 0;
    // The kernel keeps the registered file until the id is closed and the last open
    // using it is gone. The opener's handle would take its flock(2) locks along: a lock
    // would outlive the close that must drop it, and the next opener of the same file
    // would wait for it for ever. So the kernel gets a file of its own (it only takes
    // the path from it: each FUSE open gets a backing file opened with its own flags).
    cntr::Fd own(::open(ProcFdPath(fd).c_str(), O_RDONLY | O_CLOEXEC));
    if (!own) {
        cntr::log::debug("no backing file for passthrough ({}); a plain open",
                         std::strerror(errno));
        return 0;
    }
    kabi::BackingMap map{};
    map.fd = own.get();
    int id = ::ioctl(device_fd_.load(), kabi::kIocBackingOpen, &map);
    if (id > 0) return id;
    int err = id < 0 ? errno : EINVAL;
    // EPERM: no CAP_SYS_ADMIN; EOPNOTSUPP/ENOTTY/EINVAL: the kernel has no passthrough or
    // did not accept it in INIT. Nothing will change that for this session.
    if (err == EPERM || err == EOPNOTSUPP || err == ENOTTY || err == EINVAL) {
        if (available_.exchange(false)) {
            cntr::log::debug("passthrough unavailable ({}); serving reads and writes",
                             std::strerror(err));
        }
    }
    return 0;
}

int32_t PassthroughFiles::open(fuse_ino_t node, int fd, bool setid) {
    std::lock_guard lock(mutex_);
    Entry& e = entries_[node];
    if (e.passthrough_opens == 0 && e.plain_opens == 0 && !setid) {
        e.backing_id = register_backing(fd);
    }
    if (e.backing_id > 0) {
        ++e.passthrough_opens;
        return e.backing_id;
    }
    ++e.plain_opens;
    return 0;
}

void PassthroughFiles::release(fuse_ino_t node, bool passthrough) {
    int32_t closing = 0;
    {
        std::lock_guard lock(mutex_);
        auto it = entries_.find(node);
        if (it == entries_.end()) return;
        Entry& e = it->second;
        uint32_t& count = passthrough ? e.passthrough_opens : e.plain_opens;
        if (count > 0) --count;
        if (e.passthrough_opens > 0 || e.plain_opens > 0) return;
        closing = e.backing_id;
        entries_.erase(it);
    }
    if (closing <= 0) return;
    // Files the kernel still has open keep their own reference to the backing file.
    auto id = static_cast<uint32_t>(closing);
    if (::ioctl(device_fd_.load(), kabi::kIocBackingClose, &id) != 0) {
        cntr::log::debug("closing backing id {}: {}", closing, std::strerror(errno));
    }
}

}  // namespace cntrfs
