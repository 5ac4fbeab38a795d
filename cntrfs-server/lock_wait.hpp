// Waiting for a flock(2) lock in a way the caller can take back.
//
// Once a FUSE request has reached the server, the kernel waits for its answer without a
// timeout, even when the caller gets SIGKILL; a signal only makes it send
// FUSE_INTERRUPT. A server thread that sits in a plain blocking flock(2) never looks at
// that, so a process killed while it waited for a lock hung in state D until the holder
// let go (or for ever, on an io_uring queue: see uring_transport.hpp). Here the wait is
// flock(2) itself - it wakes the moment the lock is free, as natively - but a timer
// interrupts it every 50 ms to ask whether to give up.
#pragma once

#include <functional>

namespace cntrfs {

// flock(fd, op) for a blocking LOCK_SH/LOCK_EX: 0 once the lock is held; EINTR when
// `give_up()` said so (asked before the wait and at least every 50 ms during it); another
// errno value if flock(2) failed.
int wait_for_flock(int fd, int op, const std::function<bool()>& give_up);

}  // namespace cntrfs
