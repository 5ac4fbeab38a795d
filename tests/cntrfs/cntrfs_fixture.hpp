// Shared pieces of the CNTRFS test programs (conformance, integrity, stress, programs):
// a temporary directory, a guard that detaches a mount, one cntrfs-server process and a
// fixture that serves TMP/src at TMP/mnt in standalone mode. All RAII: a failing
// assertion still unmounts, stops the server and removes the files.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace cntrfs_test {

inline std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

inline bool is_mounted(const std::string& mountpoint) {
    std::ifstream info("/proc/self/mountinfo");
    for (std::string line; std::getline(info, line);) {
        std::istringstream fields(line);
        std::string id, parent, dev, root, point;
        fields >> id >> parent >> dev >> root >> point;
        if (point == mountpoint) return true;
    }
    return false;
}

// Until `cond` holds or `timeout` passed.
template <typename Cond>
bool eventually(Cond cond, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (cond()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return cond();
}

inline bool can_mount_fuse() { return ::geteuid() == 0 && ::access("/dev/fuse", R_OK | W_OK) == 0; }

class TempDir {
  public:
    TempDir() {
        std::string tmpl = "/tmp/cntrfs-t.XXXXXX";
        if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
        ::chmod(path_.c_str(), 0755);  // unprivileged test users must reach the mount
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] const std::string& path() const { return path_; }

  private:
    std::string path_;
};

// Detaches whatever is still mounted at the path when it goes out of scope.
class MountGuard {
  public:
    explicit MountGuard(std::string mountpoint) : mountpoint_(std::move(mountpoint)) {}
    ~MountGuard() {
        while (is_mounted(mountpoint_) && ::umount2(mountpoint_.c_str(), MNT_DETACH) == 0) {
        }
    }
    MountGuard(const MountGuard&) = delete;
    MountGuard& operator=(const MountGuard&) = delete;

  private:
    std::string mountpoint_;
};

// One cntrfs-server process; stopped (SIGTERM, then SIGKILL) and reaped on destruction.
class Server {
  public:
    // `keep_fd` stays open (same number) in the server; stdout/stderr go to `log_path`;
    // `nofile` > 0: the server's descriptor limit (soft and hard).
    Server(const std::vector<std::string>& args, const std::string& log_path, int keep_fd = -1,
           rlim_t nofile = 0)
        : log_(log_path) {
        std::vector<std::string> store{CNTRFS_SERVER_PATH};
        store.insert(store.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : store) argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
            if (log >= 0) {
                ::dup2(log, STDOUT_FILENO);
                ::dup2(log, STDERR_FILENO);
            }
            if (keep_fd >= 0) ::fcntl(keep_fd, F_SETFD, 0);
            if (nofile > 0) {
                rlimit lim{.rlim_cur = nofile, .rlim_max = nofile};
                if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) ::_exit(126);
            }
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
    }
    ~Server() { stop(); }
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // The exit status (signals as 128+n) if the process ended within `timeout`.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        if (status_) return status_;
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            int st = 0;
            if (::waitpid(pid_, &st, WNOHANG) == pid_) {
                status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                return status_;
            }
            if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    bool running() { return !wait_exit(std::chrono::milliseconds(0)).has_value(); }
    // SIGTERM; SIGKILL only if that did not work within 5 s.
    void stop() {
        if (status_ || pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        if (!wait_exit(std::chrono::seconds(5))) {
            ::kill(pid_, SIGKILL);
            wait_exit(std::chrono::seconds(10));
        }
    }
    [[nodiscard]] std::string log() const { return read_all(log_); }
    [[nodiscard]] pid_t pid() const { return pid_; }

  private:
    std::string log_;
    pid_t pid_ = -1;
    std::optional<int> status_;
};

// Serves TMP/src at TMP/mnt. CNTRFS_TEST_SERVER_ARGS adds server options (another
// configuration of the same suite, e.g. "--threads 1 --no-splice").
class CntrfsFixture : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!can_mount_fuse()) GTEST_FAIL() << "needs root and /dev/fuse (run the suite as root)";
        ASSERT_EQ(::mkdir(src_.c_str(), 0755), 0);
        ASSERT_EQ(::mkdir(mnt_.c_str(), 0755), 0);
        start_server(server_args());
    }
    virtual std::vector<std::string> server_args() { return {}; }
    // The server's descriptor limit; 0: inherited.
    virtual rlim_t server_nofile() { return 0; }

    void start_server(const std::vector<std::string>& extra) {
        std::vector<std::string> args{"--root", src_, "--mount", mnt_};
        args.insert(args.end(), extra.begin(), extra.end());
        if (const char* more = std::getenv("CNTRFS_TEST_SERVER_ARGS")) {
            std::istringstream words(more);
            for (std::string w; words >> w;) args.push_back(w);
        }
        server_.emplace(args, tmp_.path() + "/server.log", -1, server_nofile());
        ASSERT_TRUE(eventually([&] { return is_mounted(mnt_) || !server_->running(); }))
            << "the mount did not appear";
        ASSERT_TRUE(is_mounted(mnt_)) << "server exited early:\n" << server_->log();
        struct stat st {};
        ASSERT_EQ(::stat(mnt_.c_str(), &st), 0) << std::strerror(errno);  // waits for INIT
    }

    void TearDown() override {
        if (HasFailure() && server_) std::cerr << "server log:\n" << server_->log();
    }

    [[nodiscard]] std::string in_src(const std::string& rel) const { return src_ + "/" + rel; }
    [[nodiscard]] std::string in_mnt(const std::string& rel) const { return mnt_ + "/" + rel; }

    // Destruction order: unmount, stop the server, remove the files.
    TempDir tmp_;
    std::string src_ = tmp_.path() + "/src";
    std::string mnt_ = tmp_.path() + "/mnt";
    std::optional<Server> server_;
    MountGuard mount_guard_{mnt_};
};

}  // namespace cntrfs_test
