// The /dev/fuse transport, with the replies libfuse 3.14 cannot express.
//
// libfuse 3.14 predates FUSE passthrough (Linux 6.9): it cannot ask for FUSE_PASSTHROUGH
// in its INIT reply nor put a backing id into an OPEN/CREATE reply. It does let a server
// bring its own I/O functions (fuse_session_custom_io), and every reply passes through
// our writev. An operation that needs more than libfuse can say arms a ReplyPatch for the
// one reply it is about to send from its own thread (libfuse writes the reply
// synchronously, in the replying thread); the writev hook applies it to a copy of that
// reply and disarms it. Every other reply goes to the kernel untouched.
#pragma once

#include <fuse_lowlevel.h>

#include <sys/types.h>

#include <cstdint>

namespace cntrfs {

struct ReplyPatch {
    enum class Kind { init, open };
    Kind kind;
    // init: flags added to the INIT reply's flags/flags2, and max_stack_depth.
    uint64_t init_flags = 0;
    uint32_t max_stack_depth = 0;
    // open: the reply for file handle `fh` gets FOPEN_PASSTHROUGH with `backing_id`.
    uint64_t fh = 0;
    int32_t backing_id = 0;
};

// Arms `patch` for the next reply this thread writes; disarmed when the scope ends
// (whether or not a reply was written).
class ScopedReplyPatch {
  public:
    explicit ScopedReplyPatch(const ReplyPatch& patch);
    ~ScopedReplyPatch();
    ScopedReplyPatch(const ScopedReplyPatch&) = delete;
    ScopedReplyPatch& operator=(const ScopedReplyPatch&) = delete;
};

// Arms `patch` for the next reply this thread writes, however late that is: for INIT,
// whose reply libfuse writes after our init callback has returned. `patch` must outlive it.
void arm_next_reply(const ReplyPatch& patch);

// Where this thread's replies go instead of /dev/fuse while it serves a request that
// came from an io_uring queue (uring_transport.hpp). take() gets the complete reply
// (header first) and returns the bytes it took, or -1 for a reply that is not its own.
class ReplySink {
  public:
    virtual ssize_t take(const struct iovec* iov, int count) = 0;

  protected:
    ~ReplySink() = default;
};

// Sends this thread's replies to `sink` for as long as the scope lasts.
class ScopedReplySink {
  public:
    explicit ScopedReplySink(ReplySink& sink);
    ~ScopedReplySink();
    ScopedReplySink(const ScopedReplySink&) = delete;
    ScopedReplySink& operator=(const ScopedReplySink&) = delete;
};

// The I/O functions for fuse_session_custom_io(): plain read/writev/splice on the
// descriptor, plus the patching above.
[[nodiscard]] fuse_custom_io device_io();

}  // namespace cntrfs
