// What a cntrfs-server run was asked to do: filled in by main.cpp from the command
// line, read by the two serving modes (standalone_mode.cpp, attach_mode.cpp) and by
// the file system. Every performance feature of the CNTR paper has a switch here so
// that benchmarks can measure each one on its own.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "id_map.hpp"

namespace cntrfs {

// Kernel/libfuse features, each switchable for measurement.
struct Features {
    bool keep_cache = false;       // FOPEN_KEEP_CACHE + cached readdir (immutable roots)
    bool writeback_cache = false;  // FUSE_CAP_WRITEBACK_CACHE; off: breaks O_APPEND races
    bool parallel_dirops = true;   // FUSE_CAP_PARALLEL_DIROPS
    bool async_read = true;        // FUSE_CAP_ASYNC_READ
    bool splice = true;            // FUSE_CAP_SPLICE_{READ,WRITE,MOVE}
    bool readdirplus = true;       // FUSE_CAP_READDIRPLUS(_AUTO): names with attributes
    bool batch_forget = true;      // FUSE_BATCH_FORGET (forget_multi)
    bool cache_symlinks = false;   // FUSE_CAP_CACHE_SYMLINKS; off: /proc/self differs per caller
    bool xattr_shortcut = true;    // answer "no security.capability" from memory (fs_xattr.cpp)
    bool handle_killpriv = true;   // FUSE_HANDLE_KILLPRIV_V2: the server clears set-id bits
    bool passthrough = true;       // FUSE passthrough of reads/writes (passthrough.hpp)
    bool io_uring = false;         // requests on per-CPU io_uring queues (uring_transport.hpp)
};

struct FsConfig {
    double entry_timeout = 1.0;    // seconds the kernel may cache names (also negative ones)
    double attr_timeout = 1.0;     // seconds the kernel may cache attributes
    double negative_timeout = -1;  // seconds for absent names; < 0: entry_timeout
    unsigned max_write = 0;        // bytes per WRITE request; 0: libfuse's most (1 MiB)
    unsigned max_readahead = 0;    // bytes of kernel read-ahead; 0: the kernel's default
    bool read_only = false;        // refuse every change with EROFS
    size_t max_inodes = 0;         // inodes held before pruning (cache_pruner.hpp); 0: auto
    Features features;
    IdMap uid_map;  // --uid-map: container ids <-> host ids (id_map.hpp)
    IdMap gid_map;  // --gid-map
    // --effective-user: host uid/gid that owns every file created through the mount.
    std::optional<std::pair<uid_t, gid_t>> effective_user;
};

struct Options {
    std::string root;                       // --root: the directory served
    std::optional<std::string> mountpoint;  // --mount: standalone mode
    std::optional<int> socket_fd;           // --socket-fd: attach mode
    unsigned threads = 0;                   // --threads; 0: libfuse's default, 1: single-threaded
    std::vector<std::string> fuse_options;  // -o, passed to libfuse unchanged
    bool debug = false;                     // --debug: our debug log and libfuse's
    std::vector<int> setns_fds;             // --setns-fd: namespaces to open --root in
    bool unprivileged = false;  // --unprivileged: serve as 65534 (privileges.hpp); attach mode
    FsConfig fs;
};

}  // namespace cntrfs
