#include "device_io.hpp"

#include <fcntl.h>
#include <linux/fuse.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include "kernel_abi.hpp"

namespace cntrfs {
namespace {

thread_local const ReplyPatch* armed = nullptr;
thread_local ReplySink* sink_of_thread = nullptr;

// Applies `p` to the reply payload `data` (`size` bytes); false if the reply is not the
// one the patch was armed for.
bool apply(const ReplyPatch& p, char* data, size_t size) {
    if (p.kind == ReplyPatch::Kind::init) {
        // libfuse sends the whole 64-byte structure to any kernel newer than 7.23.
        if (size < sizeof(kabi::InitOut)) return false;
        kabi::InitOut out{};
        std::memcpy(&out, data, sizeof(out));
        uint64_t flags = p.init_flags;
        if ((flags >> 32) != 0) flags |= kabi::kInitExt;
        out.flags |= static_cast<uint32_t>(flags & 0xffffffffU);
        out.flags2 |= static_cast<uint32_t>(flags >> 32);
        out.max_stack_depth = p.max_stack_depth;
        std::memcpy(data, &out, sizeof(out));
        return true;
    }
    // OPEN replies are a fuse_open_out; CREATE replies a fuse_entry_out followed by one.
    if (size < sizeof(kabi::OpenOut)) return false;
    kabi::OpenOut out{};
    std::memcpy(&out, data + size - sizeof(out), sizeof(out));
    if (out.fh != p.fh) return false;
    out.open_flags |= kabi::kOpenPassthrough;
    out.backing_id = p.backing_id;
    std::memcpy(data + size - sizeof(out), &out, sizeof(out));
    return true;
}

ssize_t send(int fd, const struct iovec* iov, int count) {
    if (ReplySink* sink = sink_of_thread; sink != nullptr) {
        if (ssize_t n = sink->take(iov, count); n >= 0) return n;
    }
    return ::writev(fd, iov, count);
}

ssize_t device_writev(int fd, struct iovec* iov, int count, void* /*userdata*/) {
    const ReplyPatch* patch = armed;
    armed = nullptr;
    // Patched replies are small (INIT: header + 64 bytes, CREATE: header + 144 bytes) and
    // come as libfuse builds them: the header, then the whole payload in one piece.
    if (patch == nullptr || count != 2 || iov[0].iov_len != sizeof(fuse_out_header)) {
        return send(fd, iov, count);
    }
    fuse_out_header header{};
    std::memcpy(&header, iov[0].iov_base, sizeof(header));
    std::array<char, 512> payload{};
    if (header.error != 0 || iov[1].iov_len > payload.size()) return send(fd, iov, count);
    std::memcpy(payload.data(), iov[1].iov_base, iov[1].iov_len);
    if (!apply(*patch, payload.data(), iov[1].iov_len)) return send(fd, iov, count);
    std::array<iovec, 2> patched{iov[0], iovec{payload.data(), iov[1].iov_len}};
    return send(fd, patched.data(), static_cast<int>(patched.size()));
}

ssize_t device_read(int fd, void* buf, size_t len, void* /*userdata*/) {
    return ::read(fd, buf, len);
}

ssize_t device_splice(int fd_in, off_t* off_in, int fd_out, off_t* off_out, size_t len,
                      unsigned int flags, void* /*userdata*/) {
    return ::splice(fd_in, off_in, fd_out, off_out, len, flags);
}

}  // namespace

ScopedReplyPatch::ScopedReplyPatch(const ReplyPatch& patch) { armed = &patch; }
ScopedReplyPatch::~ScopedReplyPatch() { armed = nullptr; }
void arm_next_reply(const ReplyPatch& patch) { armed = &patch; }
ScopedReplySink::ScopedReplySink(ReplySink& sink) { sink_of_thread = &sink; }
ScopedReplySink::~ScopedReplySink() { sink_of_thread = nullptr; }

fuse_custom_io device_io() {
    fuse_custom_io io{};
    io.writev = device_writev;
    io.read = device_read;
    io.splice_receive = device_splice;
    io.splice_send = device_splice;
    return io;
}

}  // namespace cntrfs
