#include "tools_server.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "error.hpp"
#include "log.hpp"

namespace cntr {

// cntrfs-server is never looked up in PATH: cntr runs as root and starts it
// with the host's privileges, so only the copy installed with this cntr will do.
std::string cntrfs_server_path() {
    if (const char* env = std::getenv("CNTR_CNTRFS_SERVER"); env != nullptr && *env != '\0')
        return env;
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) throw UserError("cannot read /proc/self/exe to find cntrfs-server: " + ec.message());
    const auto bindir = self.parent_path();
    // Installed (BINDIR/../libexec/cntr), then a build tree (both in bin/).
    const std::array candidates = {
        (bindir / CNTR_SERVER_DIR_FROM_BINDIR / "cntrfs-server").lexically_normal(),
        bindir / "cntrfs-server"};
    for (const auto& candidate : candidates)
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    throw UserError("cannot find cntrfs-server (looked for " + candidates[0].string() + " and " +
                    candidates[1].string() +
                    "); reinstall cntr, or set CNTR_CNTRFS_SERVER to the server's path");
}

ChildProcess start_tools_server(const ToolsRoot& tools, Fd sock) {
    const std::string path = cntrfs_server_path();
    // Descriptors the server inherits: 3 is the socket, 4... the namespaces.
    constexpr int kSocketFd = 3;
    constexpr int kFirstNamespaceFd = 4;
    std::vector<std::string> args = {"cntrfs-server", "--root", tools.root, "--socket-fd",
                                     std::to_string(kSocketFd)};
    for (size_t i = 0; i < tools.setns_fds.size(); ++i) {
        args.emplace_back("--setns-fd");
        args.push_back(std::to_string(kFirstNamespaceFd + static_cast<int>(i)));
    }
    args.insert(args.end(), tools.server_args.begin(), tools.server_args.end());
    // Requests on per-CPU io_uring queues whenever the kernel allows it (the fuse module's
    // enable_uring is the machine owner's choice; cntr does not change it): the session's
    // file system calls are then served on the CPU that made them.
    if (std::ifstream param("/sys/module/fuse/parameters/enable_uring"); param.get() == 'Y') {
        args.emplace_back("--io-uring");
    }
    if (tools.read_only) {
        // An unpacked image never changes: let the kernel cache it for long, pages and
        // listings included, and open its directories without requests.
        for (const char* a :
             {"--read-only", "--keep-cache", "--entry-timeout", "3600", "--attr-timeout", "3600"})
            args.emplace_back(a);
    } else if (!tools.writable) {
        // Read-only, but the host or a fat container may change the tree behind the
        // mount: keep the short default timeouts (--read-only alone would make them long).
        for (const char* a : {"--read-only", "--entry-timeout", "1", "--attr-timeout", "1"})
            args.emplace_back(a);
    }
    // Least privilege: a container process reaches the tools through /proc/<session
    // pid>/root, so the server must not open for it what "nobody" could not.
    if (!tools.writable) args.emplace_back("--unprivileged");
    return ChildProcess::fork([&] {
        // Its own session: Ctrl-C on the user's terminal must not kill the
        // filesystem under the running command.
        ::setsid();
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        // Copy every descriptor above the targets first (F_DUPFD never
        // replaces an open descriptor), so that dup2() onto 3, 4, ... cannot
        // clobber one still needed.
        constexpr int kAboveTargets = 16;
        std::vector<int> sources = {sock.get()};
        sources.reserve(1 + tools.setns_fds.size());
        for (const auto& fd : tools.setns_fds) sources.push_back(fd.get());
        std::vector<int> copies;
        copies.reserve(sources.size());
        for (int fd : sources)
            copies.push_back(check(::fcntl(fd, F_DUPFD_CLOEXEC, kAboveTargets), "fcntl F_DUPFD"));
        for (size_t i = 0; i < copies.size(); ++i)
            check(::dup2(copies[i], kSocketFd + static_cast<int>(i)), "dup2");
        Fd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
        if (null) {
            ::dup2(null.get(), STDIN_FILENO);
            ::dup2(null.get(), STDOUT_FILENO);
        }
        ::close_range(static_cast<unsigned>(kFirstNamespaceFd + tools.setns_fds.size()), ~0U, 0);
        std::vector<char*> argv;
        argv.reserve(args.size() + 1);
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(path.c_str(), argv.data());
        log::error("cannot start {}: {}", path, std::strerror(errno));
        return 125;
    });
}

}  // namespace cntr
