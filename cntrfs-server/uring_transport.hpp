// FUSE over io_uring (Linux 6.14+, while the fuse module parameter enable_uring is Y).
//
// Why: over /dev/fuse, the worker thread the kernel wakes for a request is whichever
// read(2) is waiting, usually on another CPU than the caller; each request then costs two
// cross-CPU wakeups, which on a VM are interrupts through the hypervisor. Measured on a
// 2-vCPU VM: untar of /usr/include through CNTRFS took 0.9 s with the server and tar
// pinned to one CPU, 2.6 s unpinned and 8.2 s pinned to different CPUs. With io_uring
// the kernel puts each request on the queue of the caller's CPU, and that queue's thread
// is pinned to the same CPU: the caller and the server hand over on one CPU.
//
// How, with libfuse 3.14 (which has no io_uring support): one thread per possible CPU
// owns a ring with `depth` entries, each registered with the kernel (a header buffer and
// a payload buffer). For a request the thread rebuilds the classic request layout
// (fuse_in_header, the operation's struct, the payload) in front of the payload, hands it
// to fuse_session_process_buf like any request, catches the reply libfuse writes
// (device_io.hpp, ReplySink), copies it into the entry and commits it, which also fetches
// the next request. FORGET, INTERRUPT and INIT keep coming through /dev/fuse, served by
// the usual loop, which runs alongside. Requests that may wait long (a lock someone else
// holds, fsync) are served by a BlockingPool thread instead, and the queue thread commits
// their replies when the pool says they are ready; so a CPU's callers are never stuck
// behind one of them - unless `depth` of them wait at once, which is where libfuse's
// --threads bound puts /dev/fuse servers too.
//
// If the kernel refuses the ring (enable_uring is N, kernel too old), registration fails,
// the kernel falls back to /dev/fuse, and the threads end with one warning.
#pragma once

#include <fuse_lowlevel.h>

#include <memory>

#include <thread>
#include <vector>
#include "blocking_pool.hpp"

namespace cntrfs {

class UringTransport {
  public:
    // Starts the queue threads for session `se` on /dev/fuse descriptor `fuse_fd`;
    // `max_payload`: the largest request or reply payload (>= max_write).
    UringTransport(fuse_session* se, int fuse_fd, size_t max_payload, unsigned depth);
    // Stops and joins the threads.
    ~UringTransport();
    UringTransport(const UringTransport&) = delete;
    UringTransport& operator=(const UringTransport&) = delete;

    struct Queue;  // one CPU's ring, entries and stop signal (uring_transport.cpp)

  private:
    std::vector<std::unique_ptr<Queue>> queues_;
    std::vector<std::thread> threads_;
};

}  // namespace cntrfs
