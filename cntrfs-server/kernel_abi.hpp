// The parts of the FUSE kernel ABI that are newer than Debian 12's headers (Linux 6.1
// uapi, libfuse 3.14), or that libfuse 3.14 does not expose. Values and layouts are those of
// include/uapi/linux/fuse.h of Linux 6.9 and later (protocol 7.40+); a kernel that does not know a
// flag ignores it.
#pragma once

#include <sys/ioctl.h>

#include <cstdint>

namespace cntrfs::kabi {

// FUSE_INIT flags: bits 32..63 travel in init_out.flags2 when FUSE_INIT_EXT is set.
constexpr uint64_t kHandleKillprivV2 = 1ULL << 28;  // FUSE_HANDLE_KILLPRIV_V2 (7.33)
constexpr uint64_t kInitExt = 1ULL << 30;           // FUSE_INIT_EXT
constexpr uint64_t kPassthrough = 1ULL << 37;       // FUSE_PASSTHROUGH (7.40, Linux 6.9)

// FILESYSTEM_MAX_STACK_DEPTH: how deep backing file systems may be stacked under a
// passthrough mount. 2 lets an overlayfs (depth 1) container root back our files.
constexpr uint32_t kMaxStackDepth = 2;

// struct fuse_init_out as of 7.40.
struct InitOut {
    uint32_t major;
    uint32_t minor;
    uint32_t max_readahead;
    uint32_t flags;
    uint16_t max_background;
    uint16_t congestion_threshold;
    uint32_t max_write;
    uint32_t time_gran;
    uint16_t max_pages;
    uint16_t map_alignment;
    uint32_t flags2;
    uint32_t max_stack_depth;
    uint32_t unused[6];
};
static_assert(sizeof(InitOut) == 64);

// struct fuse_open_out as of 7.40: the padding became backing_id.
constexpr uint32_t kOpenPassthrough = 1U << 7;  // FOPEN_PASSTHROUGH
struct OpenOut {
    uint64_t fh;
    uint32_t open_flags;
    int32_t backing_id;
};
static_assert(sizeof(OpenOut) == 16);

// Registering a backing file on the /dev/fuse descriptor (needs CAP_SYS_ADMIN).
struct BackingMap {
    int32_t fd;
    uint32_t flags;
    uint64_t padding;
};
constexpr unsigned long kDevIocMagic = 229;
constexpr unsigned long kIocBackingOpen = _IOW(kDevIocMagic, 1, BackingMap);
constexpr unsigned long kIocBackingClose = _IOW(kDevIocMagic, 2, uint32_t);

// FUSE_NOTIFY_PRUNE (7.45, Linux 6.18): the kernel drops the listed nodes from its caches
// if nothing uses them (and then sends FORGET). After the header (error = the code):
// this, then `count` node ids of 64 bits.
constexpr int32_t kNotifyPrune = 9;
struct NotifyPruneOut {
    uint32_t count;
    uint32_t padding;
    uint64_t spare;
};
static_assert(sizeof(NotifyPruneOut) == 16);

// FUSE over io_uring (7.42, Linux 6.14; allowed only while the fuse module parameter
// enable_uring is Y): requests arrive on one io_uring queue per CPU instead of through
// read(2) on /dev/fuse. FORGET, INTERRUPT and INIT still use /dev/fuse.
constexpr uint64_t kOverIoUring = 1ULL << 41;  // FUSE_OVER_IO_URING
constexpr uint32_t kUringCmdRegister = 1;      // FUSE_IO_URING_CMD_REGISTER
constexpr uint32_t kUringCmdCommitAndFetch = 2;

// struct fuse_uring_ent_in_out
struct UringEntInOut {
    uint64_t flags;
    uint64_t commit_id;   // the request's unique
    uint32_t payload_sz;  // request: bytes in the payload; reply: bytes we wrote
    uint32_t padding;
    uint64_t reserved;
};
static_assert(sizeof(UringEntInOut) == 32);

// struct fuse_uring_req_header: the first buffer of each ring entry.
struct UringReqHeader {
    char in_out[128];  // request: fuse_in_header; reply: fuse_out_header
    char op_in[128];   // the request's first argument (its per-operation struct), if any
    UringEntInOut ent;
};
static_assert(sizeof(UringReqHeader) == 288);

// struct fuse_uring_cmd_req, in the SQE's command area (SQE128 rings).
struct UringCmdReq {
    uint64_t flags;
    uint64_t commit_id;
    uint16_t qid;  // the CPU whose requests the entry takes
    uint8_t padding[6];
};
static_assert(sizeof(UringCmdReq) == 24);

}  // namespace cntrfs::kabi
