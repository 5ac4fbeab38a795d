// FuseSession: one libfuse low-level session serving a FileSystem, from
// fuse_session_new to fuse_session_destroy, and its request loop.
//
// Both serving modes use it; they differ only in where the /dev/fuse descriptor comes
// from. Standalone mode mounts (fuse_session_mount(se, "/some/dir")); attach mode is
// handed a descriptor that cntr already mounted and gives it to libfuse as
// "/dev/fd/N", which libfuse (>= 3.3) adopts without mounting anything. Either way the
// loop ends when the kernel drops the connection (the last mount is gone) or a signal
// asks it to stop. Once mounted, the session talks to the kernel through our own I/O
// functions (device_io.hpp), which add what libfuse 3.14 cannot say.
#pragma once

#include <fuse_lowlevel.h>

#include <string>
#include <vector>

#include "file_system.hpp"

namespace cntrfs {

class FuseSession {
  public:
    // `args` are libfuse options after the program name ("-o", "...", "-d").
    FuseSession(FileSystem& fs, const std::vector<std::string>& args);
    ~FuseSession();
    FuseSession(const FuseSession&) = delete;
    FuseSession& operator=(const FuseSession&) = delete;

    // SIGTERM ends the loop; with `interactive`, SIGINT and SIGHUP too (standalone
    // mode). Otherwise they are ignored: a Ctrl-C meant for the debug shell must not take
    // its root file system away.
    void handle_signals(bool interactive);

    // fuse_session_mount. `what` names the target in errors ("--mount /mnt").
    void mount(const std::string& mountpoint, const std::string& what);
    // Undoes mount() if it mounted something; idempotent.
    void unmount();

    // Serves requests until the connection ends (returns 0), a handled signal arrives
    // (returns its number) or the loop fails (returns a negative errno).
    // threads: 1 for the single-threaded loop, 0 for libfuse's default maximum.
    int loop(unsigned threads);

  private:
    FileSystem& fs_;
    fuse_session* se_ = nullptr;
    bool mounted_ = false;
    bool signals_ = false;
};

}  // namespace cntrfs
