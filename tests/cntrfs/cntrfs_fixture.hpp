// Shared pieces of the CNTRFS test programs (conformance, integrity, stress, programs):
// a temporary directory, a guard that detaches a mount, one cntrfs-server process and a
// fixture that serves TMP/src at TMP/mnt in standalone mode. All RAII: a failing
// assertion still unmounts, stops the server and removes the files.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
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
#include <functional>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "fd.hpp"

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

// The exit status of child `pid` (signals as 128+n) if it ended within `timeout`.
inline std::optional<int> wait_for_exit(pid_t pid, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int st = 0;
        if (::waitpid(pid, &st, WNOHANG) == pid) {
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
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
        if (!status_) status_ = wait_for_exit(pid_, timeout);
        return status_;
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

// A forked child that runs `body` (its result is the exit status), on CPU `cpu` only if
// cpu >= 0. The destructor kills and reaps it. A child stuck in a FUSE request the server
// never answers cannot die before the server does: then `unstick` runs first (the test
// stops the server there).
class Child {
  public:
    Child(const std::function<int()>& body, int cpu, std::function<void()> unstick)
        : unstick_(std::move(unstick)) {
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            if (cpu >= 0) {
                cpu_set_t set;
                CPU_ZERO(&set);
                CPU_SET(cpu, &set);
                if (::sched_setaffinity(0, sizeof(set), &set) != 0) ::_exit(125);
            }
            ::_exit(body());
        }
    }
    ~Child() {
        if (status_) return;
        ::kill(pid_, SIGKILL);
        if (wait_exit(std::chrono::seconds(3))) return;
        if (unstick_) unstick_();
        int st = 0;
        ::waitpid(pid_, &st, 0);
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
        if (!status_) status_ = wait_for_exit(pid_, timeout);
        return status_;
    }
    [[nodiscard]] pid_t pid() const { return pid_; }

  private:
    pid_t pid_ = -1;
    std::optional<int> status_;
    std::function<void()> unstick_;
};

// A child process that holds flock(LOCK_EX) on `path` (on CPU `cpu` if >= 0) until
// release(); it then exits 0, its close dropping the lock.
class LockHolder {
  public:
    LockHolder(const std::string& path, int cpu, std::function<void()> unstick) {
        int go[2];
        int held[2];
        if (::pipe2(go, O_CLOEXEC) != 0 || ::pipe2(held, O_CLOEXEC) != 0) {
            throw std::runtime_error("pipe2 failed");
        }
        go_.reset(go[1]);
        held_.reset(held[0]);
        cntr::Fd go_end(go[0]);
        cntr::Fd held_end(held[1]);
        const int wait_fd = go_end.get();
        const int tell_fd = held_end.get();
        child_.emplace(
            [&path, wait_fd, tell_fd] {
                int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
                if (fd < 0 || ::flock(fd, LOCK_EX) != 0) return 1;
                char c = 'h';
                if (::write(tell_fd, &c, 1) != 1) return 2;
                // A byte, not EOF: other children forked meanwhile hold the write end too.
                return ::read(wait_fd, &c, 1) == 1 ? 0 : 3;
            },
            cpu, std::move(unstick));
    }
    // True once the child holds the lock.
    bool wait_held() {
        pollfd p{held_.get(), POLLIN, 0};
        char c = 0;
        return ::poll(&p, 1, 10000) == 1 && ::read(held_.get(), &c, 1) == 1;
    }
    void release() {
        char c = 'g';
        if (::write(go_.get(), &c, 1) != 1) throw std::runtime_error("cannot tell the holder");
    }
    std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
        return child_->wait_exit(timeout);
    }

  private:
    cntr::Fd go_;
    cntr::Fd held_;
    std::optional<Child> child_;  // last: killed before the pipes close
};

// A child that waits for flock(LOCK_EX) on `path` and exits 0 once it has it.
inline std::function<int()> lock_waiter(const std::string& path) {
    return [path] {
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        return fd >= 0 && ::flock(fd, LOCK_EX) == 0 ? 0 : 1;
    };
}

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
