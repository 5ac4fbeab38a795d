#include "uring_transport.hpp"

#include <liburing.h>
#include <linux/fuse.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>

#include "blocking_pool.hpp"
#include "device_io.hpp"
#include "error.hpp"
#include "fd.hpp"
#include "file_io.hpp"
#include "kernel_abi.hpp"
#include "log.hpp"

namespace cntrfs {
namespace {

// Room in front of each payload buffer for the request header and the operation's
// struct, so that a request is rebuilt without moving its payload.
constexpr size_t kHeadroom = 256;
constexpr uint64_t kStopTag = 0;  // user_data of the stop eventfd's poll
constexpr uint64_t kDoneTag = 1;  // user_data of the poll of the eventfd the pool rings

// Requests that may wait long - for a lock another process holds, or for the disk to
// flush - go to the queue's BlockingPool (blocking_pool.hpp says why). The hand-over
// costs about 10 % in a workload that does little but fsync (sqlite inserts, 4 KiB files
// with fsync each: 6-round A/B on this VM), and an fsync no longer stops every other
// caller on its CPU for its whole duration (dbench, 12 clients: 3.15 -> 2.43 x native).
// READ and WRITE (only for files that are not passed through) stay here: they are
// mostly page-cache hits, and handing them over tripled untar without passthrough.
bool may_wait_long(uint32_t opcode) {
    switch (opcode) {
        case FUSE_SETLKW:
        case FUSE_FSYNC:
        case FUSE_FSYNCDIR:
        case FUSE_FALLOCATE:
        case FUSE_COPY_FILE_RANGE:
            return true;
        default:
            return false;
    }
}

// nr_cpu_ids: the kernel has one queue per possible CPU and wants all of them.
unsigned possible_cpus() {
    try {
        std::string ranges = cntr::read_file("/sys/devices/system/cpu/possible");  // "0-1\n"
        size_t dash = ranges.find_last_of("-,");
        std::string last = dash == std::string::npos ? ranges : ranges.substr(dash + 1);
        return static_cast<unsigned>(std::stoul(last)) + 1;
    } catch (const std::exception&) {
        return std::thread::hardware_concurrency();
    }
}

}  // namespace

// One ring entry: the buffers the kernel fills, and the request being served.
struct Entry final : ReplySink {
    UringTransport::Queue* queue = nullptr;
    kabi::UringReqHeader header{};
    std::unique_ptr<char[]> buffer;  // kHeadroom + payload
    iovec iov[2]{};
    uint64_t unique = 0;
    bool replied = true;
    bool in_pool = false;  // served by a BlockingPool thread

    char* payload() { return buffer.get() + kHeadroom; }
    ssize_t take(const struct iovec* iov, int count) override;
};

struct UringTransport::Queue {
    unsigned qid = 0;
    int fuse_fd = -1;
    fuse_session* se = nullptr;
    size_t max_payload = 0;
    io_uring ring{};
    bool ring_ready = false;
    cntr::Fd stop;  // eventfd
    std::vector<std::unique_ptr<Entry>> entries;
    // Entries the pool has answered. Only this queue's thread touches the ring, so the
    // pool leaves them here and rings `done` (an eventfd the ring polls).
    cntr::Fd done;
    std::mutex done_mutex;
    std::vector<Entry*> done_entries;
    // Last: its threads finish before the entries and `done` they use are gone.
    std::unique_ptr<BlockingPool> pool;

    ~Queue() {
        if (ring_ready) io_uring_queue_exit(&ring);
    }

    // A cleared SQE (128 bytes: the ring is SQE128).
    io_uring_sqe* next_sqe() {
        io_uring_sqe* sqe = io_uring_get_sqe(&ring);
        if (sqe == nullptr) {  // full: make room (entries never exceed the SQ size)
            io_uring_submit(&ring);
            sqe = io_uring_get_sqe(&ring);
        }
        if (sqe == nullptr) throw std::runtime_error("io_uring submission queue full");
        void* raw = sqe;
        std::memset(raw, 0, 2 * sizeof(io_uring_sqe));
        return sqe;
    }

    // An SQE for a FUSE ring command on entry `e`.
    void queue_command(Entry& e, uint32_t op) {
        io_uring_sqe* sqe = next_sqe();
        sqe->opcode = IORING_OP_URING_CMD;
        sqe->fd = fuse_fd;
        sqe->cmd_op = op;
        sqe->user_data = reinterpret_cast<uint64_t>(&e);
        kabi::UringCmdReq cmd{};
        cmd.qid = static_cast<uint16_t>(qid);
        if (op == kabi::kUringCmdRegister) {
            sqe->addr = reinterpret_cast<uint64_t>(e.iov);
            sqe->len = 2;
        } else {
            cmd.commit_id = e.header.ent.commit_id;
        }
        std::memcpy(sqe->cmd, &cmd, sizeof(cmd));
    }

    // Queues the reply that `e` holds, from whichever thread answered it.
    void commit(Entry& e) {
        if (!e.in_pool) return queue_command(e, kabi::kUringCmdCommitAndFetch);
        {
            std::lock_guard lock(done_mutex);
            done_entries.push_back(&e);
        }
        uint64_t one = 1;
        if (::write(done.get(), &one, sizeof(one)) < 0) {
            cntr::log::error("io_uring queue {}: cannot wake the queue: {}", qid,
                             std::strerror(errno));
        }
    }
    // Commits what the pool has answered (on this queue's thread).
    void commit_done() {
        uint64_t count = 0;
        static_cast<void>(::read(done.get(), &count, sizeof(count)));
        std::vector<Entry*> ready;
        {
            std::lock_guard lock(done_mutex);
            ready.swap(done_entries);
        }
        for (Entry* e : ready) queue_command(*e, kabi::kUringCmdCommitAndFetch);
    }
    void poll_done() {
        io_uring_sqe* sqe = next_sqe();
        io_uring_prep_poll_multishot(sqe, done.get(), POLLIN);
        io_uring_sqe_set_data64(sqe, kDoneTag);
    }

    void serve(Entry& e);
    void run();
};

ssize_t Entry::take(const struct iovec* iov, int count) {
    fuse_out_header out{};
    if (count < 1 || iov[0].iov_len < sizeof(out)) return -1;
    std::memcpy(&out, iov[0].iov_base, sizeof(out));
    if (replied || out.unique != unique) return -1;
    size_t total = 0;
    ssize_t sent = static_cast<ssize_t>(iov[0].iov_len);
    for (int i = 1; i < count; ++i) {
        sent += static_cast<ssize_t>(iov[i].iov_len);
        if (out.error != 0) continue;
        if (total + iov[i].iov_len > queue->max_payload) {
            out.error = -EIO;  // cannot happen with replies bounded by max_write
            continue;
        }
        std::memmove(payload() + total, iov[i].iov_base, iov[i].iov_len);
        total += iov[i].iov_len;
    }
    if (out.error != 0) total = 0;
    out.len = static_cast<uint32_t>(sizeof(out) + total);
    std::memcpy(header.in_out, &out, sizeof(out));
    header.ent.payload_sz = static_cast<uint32_t>(total);
    replied = true;
    queue->commit(*this);
    return sent;
}

void UringTransport::Queue::serve(Entry& e) {
    fuse_in_header in{};
    std::memcpy(&in, e.header.in_out, sizeof(in));
    const size_t payload_sz = e.header.ent.payload_sz;
    e.unique = in.unique;
    e.replied = false;
    // The first argument went to op_in, the rest to the payload; the header's length
    // covers them all, which gives the size of the first.
    if (in.len < sizeof(in) + payload_sz ||
        in.len - sizeof(in) - payload_sz > sizeof(e.header.op_in) || payload_sz > max_payload) {
        cntr::log::error("io_uring queue {}: malformed request (opcode {}, len {}, payload {})",
                         qid, in.opcode, in.len, payload_sz);
    } else {
        const size_t op_size = in.len - sizeof(in) - payload_sz;
        char* start = e.payload() - op_size - sizeof(in);
        std::memcpy(start, &in, sizeof(in));
        std::memcpy(start + sizeof(in), e.header.op_in, op_size);
        fuse_buf buf{};
        buf.size = in.len;
        buf.mem = start;
        ScopedReplySink sink(e);
        fuse_session_process_buf(se, &buf);
    }
    if (!e.replied) {
        // Every request on the ring expects a reply; without one the entry is lost.
        fuse_out_header out{sizeof(out), -EIO, in.unique};
        iovec iov{&out, sizeof(out)};
        e.take(&iov, 1);
    }
}

void UringTransport::Queue::run() {
    // Requests on this queue come from callers running on CPU qid: serve them there.
    pin_this_thread(qid);

    io_uring_sqe* poll = next_sqe();
    io_uring_prep_poll_add(poll, stop.get(), POLLIN);
    io_uring_sqe_set_data64(poll, kStopTag);
    poll_done();
    for (auto& e : entries) queue_command(*e, kabi::kUringCmdRegister);
    io_uring_submit(&ring);

    size_t live = entries.size();
    bool stopping = false;
    bool serving = false;
    while (!stopping && live > 0) {
        io_uring_cqe* cqe = nullptr;
        int res = io_uring_wait_cqe(&ring, &cqe);
        if (res == -EINTR) continue;
        if (res < 0) {
            cntr::log::error("io_uring queue {}: {}", qid, std::strerror(-res));
            break;
        }
        unsigned head = 0;
        unsigned seen = 0;
        io_uring_for_each_cqe(&ring, head, cqe) {
            ++seen;
            if (cqe->user_data == kStopTag) {
                stopping = true;
                continue;
            }
            if (cqe->user_data == kDoneTag) {
                commit_done();
                if ((cqe->flags & IORING_CQE_F_MORE) == 0) poll_done();  // re-arm
                continue;
            }
            // user_data is the Entry the command was queued for (queue_command).
            // NOLINTNEXTLINE(performance-no-int-to-ptr)
            auto& e = *reinterpret_cast<Entry*>(cqe->user_data);
            if (cqe->res == 0) {
                if (!serving) cntr::log::debug("io_uring queue {}: serving requests", qid);
                serving = true;
                fuse_in_header in{};
                std::memcpy(&in, e.header.in_out, sizeof(in));
                e.in_pool = may_wait_long(in.opcode);
                if (e.in_pool) {
                    pool->submit([this, &e] { serve(e); });
                } else {
                    serve(e);
                }
            } else if (cqe->res == -EAGAIN || cqe->res == -EINTR) {
                // Registered before the kernel finished INIT: try again shortly.
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
                queue_command(e, kabi::kUringCmdRegister);
            } else {
                --live;
                // ENOTCONN/ECANCELED: the mount is gone. EOPNOTSUPP: the kernel does not
                // allow io_uring (enable_uring is N); it serves through /dev/fuse then.
                if (cqe->res == -EOPNOTSUPP && qid == 0 && live + 1 == entries.size()) {
                    cntr::log::warn(
                        "the kernel refused FUSE over io_uring (enable it with: echo Y > "
                        "/sys/module/fuse/parameters/enable_uring); serving through "
                        "/dev/fuse");
                } else if (cqe->res != -ENOTCONN && cqe->res != -ECANCELED &&
                           cqe->res != -EOPNOTSUPP) {
                    cntr::log::error("io_uring queue {}: {}", qid, std::strerror(-cqe->res));
                }
            }
        }
        io_uring_cq_advance(&ring, seen);
        io_uring_submit(&ring);
    }
}

UringTransport::UringTransport(fuse_session* se, int fuse_fd, size_t max_payload, unsigned depth) {
    const unsigned n = possible_cpus();
    for (unsigned qid = 0; qid < n; ++qid) {
        auto q = std::make_unique<Queue>();
        q->qid = qid;
        q->fuse_fd = fuse_fd;
        q->se = se;
        q->max_payload = max_payload;
        q->stop.reset(cntr::check(::eventfd(0, EFD_CLOEXEC), "eventfd"));
        q->done.reset(cntr::check(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), "eventfd"));
        // Pinned like the queue; no more requests than its entries are ever in flight.
        q->pool = std::make_unique<BlockingPool>(depth, static_cast<int>(qid));
        io_uring_params params{};
        params.flags = IORING_SETUP_SQE128;
        if (int err = io_uring_queue_init_params(2 * depth + 2, &q->ring, &params); err < 0) {
            throw cntr::SysError("cannot set up an io_uring for FUSE requests", -err);
        }
        q->ring_ready = true;
        for (unsigned i = 0; i < depth; ++i) {
            auto e = std::make_unique<Entry>();
            e->queue = q.get();
            // Not zeroed: pages of the payload are only touched by requests that use them.
            e->buffer = std::make_unique_for_overwrite<char[]>(kHeadroom + max_payload);
            e->iov[0] = {&e->header, sizeof(e->header)};
            e->iov[1] = {e->payload(), max_payload};
            q->entries.push_back(std::move(e));
        }
        queues_.push_back(std::move(q));
    }
    for (auto& q : queues_) threads_.emplace_back([queue = q.get()] { queue->run(); });
}

UringTransport::~UringTransport() {
    for (auto& q : queues_) {
        uint64_t one = 1;
        if (::write(q->stop.get(), &one, sizeof(one)) < 0) {
            cntr::log::debug("stopping io_uring queue {}: {}", q->qid, std::strerror(errno));
        }
    }
    for (auto& t : threads_) t.join();
    // Requests still in a pool finish (a lock wait gives up once the session has
    // ended) and leave their entries on queues that no longer serve.
    for (auto& q : queues_) q->pool.reset();
}

}  // namespace cntrfs
