#include "fuse_session.hpp"

#include <sys/resource.h>

#include <csignal>
#include <memory>
#include <optional>

#include "cache_pruner.hpp"
#include "device_io.hpp"
#include "error.hpp"
#include "uring_transport.hpp"

namespace cntrfs {
namespace {

// fuse_args with libfuse-allocated strings, freed on scope exit.
class FuseArgs {
  public:
    explicit FuseArgs(const std::vector<std::string>& args) {
        add("cntrfs-server");
        for (const auto& a : args) add(a);
    }
    ~FuseArgs() { fuse_opt_free_args(&args_); }
    FuseArgs(const FuseArgs&) = delete;
    FuseArgs& operator=(const FuseArgs&) = delete;
    fuse_args* get() { return &args_; }

  private:
    void add(const std::string& a) {
        if (fuse_opt_add_arg(&args_, a.c_str()) != 0) throw std::bad_alloc();
    }
    fuse_args args_ = FUSE_ARGS_INIT(0, nullptr);
};

struct LoopConfigDeleter {
    void operator()(fuse_loop_config* c) const { fuse_loop_cfg_destroy(c); }
};

}  // namespace

FuseSession::FuseSession(FileSystem& fs, const std::vector<std::string>& args) : fs_(fs) {
    FuseArgs fargs(args);
    fuse_lowlevel_ops ops = FileSystem::operations(fs.config());
    se_ = fuse_session_new(fargs.get(), &ops, sizeof(ops), &fs);
    if (se_ == nullptr) {
        // libfuse printed the reason ("fuse: unknown option(s): ...") just above.
        throw cntr::UserError(
            "cannot start the FUSE session; check the -o options (see the fuse: message above)");
    }
}

FuseSession::~FuseSession() {
    if (signals_) fuse_remove_signal_handlers(se_);
    unmount();
    fuse_session_destroy(se_);  // closes the /dev/fuse descriptor
}

void FuseSession::handle_signals(bool interactive) {
    // libfuse only installs its handler where the disposition is still the default, so
    // ignoring a signal first keeps it ignored.
    if (!interactive) {
        // Fails only for an invalid signal number.
        static_cast<void>(std::signal(SIGINT, SIG_IGN));
        static_cast<void>(std::signal(SIGHUP, SIG_IGN));
    }
    if (fuse_set_signal_handlers(se_) != 0) {
        throw cntr::UserError("cannot install the signal handlers (see the fuse: message above)");
    }
    signals_ = true;
}

void FuseSession::mount(const std::string& mountpoint, const std::string& what) {
    if (fuse_session_mount(se_, mountpoint.c_str()) != 0) {
        throw cntr::UserError(what +
                              ": mounting failed (see the fuse: message above); cntrfs-server "
                              "needs root or fusermount3, and /dev/fuse");
    }
    mounted_ = true;
    // Before the loop reads INIT: every reply, INIT's included, goes through device_io.
    const fuse_custom_io io = device_io();
    const int fd = fuse_session_fd(se_);
    if (int err = fuse_session_custom_io(se_, &io, fd); err != 0) {
        throw cntr::SysError("cannot install the FUSE device I/O functions", -err);
    }
    fs_.set_session(se_, fd);
}

void FuseSession::unmount() {
    if (!mounted_) return;
    mounted_ = false;
    fuse_session_unmount(se_);  // nothing to do for an adopted /dev/fd/N
}

int FuseSession::loop(unsigned threads) {
    // With io_uring most requests arrive on the per-CPU queues; FORGET, INTERRUPT and
    // INIT still come through /dev/fuse, and so does everything if the kernel refuses.
    std::optional<UringTransport> uring;
    if (fs_.config().features.io_uring) {
        constexpr size_t kMaxWrite = size_t{1} << 20;  // libfuse 3.14's default and most
        constexpr unsigned kDepth = 8;                 // requests in flight per CPU
        const size_t max_write = fs_.config().max_write != 0 ? fs_.config().max_write : kMaxWrite;
        uring.emplace(se_, fuse_session_fd(se_), (max_write + 4095) / 4096 * 4096, kDepth);
    }
    size_t max_inodes = fs_.config().max_inodes;
    if (max_inodes == 0) {
        rlimit lim{};
        ::getrlimit(RLIMIT_NOFILE, &lim);
        max_inodes = CachePruner::default_high_water(static_cast<size_t>(lim.rlim_cur));
    }
    CachePruner pruner(fs_.inodes(), fuse_session_fd(se_), max_inodes);
    if (threads == 1) return fuse_session_loop(se_);
    std::unique_ptr<fuse_loop_config, LoopConfigDeleter> config(fuse_loop_cfg_create());
    if (!config) throw std::bad_alloc();
    if (threads != 0) fuse_loop_cfg_set_max_threads(config.get(), threads);
    return fuse_session_loop_mt(se_, config.get());
}

}  // namespace cntrfs
