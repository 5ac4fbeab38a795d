// What a cntrfs-server run was asked to do: filled in by main.cpp from the command
// line, read by the two serving modes (standalone_mode.cpp, attach_mode.cpp) and by
// the file system. Every performance feature of the CNTR paper has a switch here so
// that benchmarks can measure each one on its own.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace cntrfs {

// Kernel/libfuse features, each switchable for measurement.
struct Features {
    bool keep_cache = false;       // FOPEN_KEEP_CACHE + cached readdir (immutable roots)
    bool writeback_cache = false;  // FUSE_CAP_WRITEBACK_CACHE; off: breaks O_APPEND races
    bool parallel_dirops = true;   // FUSE_CAP_PARALLEL_DIROPS
    bool async_read = true;        // FUSE_CAP_ASYNC_READ
    bool splice = true;            // FUSE_CAP_SPLICE_{READ,WRITE,MOVE}
};

struct FsConfig {
    double entry_timeout = 1.0;  // seconds the kernel may cache names (also negative ones)
    double attr_timeout = 1.0;   // seconds the kernel may cache attributes
    bool read_only = false;      // refuse every change with EROFS
    Features features;
};

struct Options {
    std::string root;                       // --root: the directory served
    std::optional<std::string> mountpoint;  // --mount: standalone mode
    std::optional<int> socket_fd;           // --socket-fd: attach mode
    unsigned threads = 0;                   // --threads; 0: libfuse's default, 1: single-threaded
    std::vector<std::string> fuse_options;  // -o, passed to libfuse unchanged
    bool debug = false;                     // --debug: our debug log and libfuse's
    FsConfig fs;
};

}  // namespace cntrfs
