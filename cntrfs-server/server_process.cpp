#include "server_process.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <sstream>
#include <vector>

#include "error.hpp"
#include "fd_passing.hpp"
#include "file_io.hpp"
#include "log.hpp"

namespace cntrfs {
namespace {

void close_fd_range(unsigned first, unsigned last) {
    if (::close_range(first, last, 0) == 0) return;
    // Kernels before 5.9: close what is open, one by one.
    long max = ::sysconf(_SC_OPEN_MAX);
    unsigned end = std::min<unsigned long>(last, max > 0 ? static_cast<unsigned long>(max) : 1024);
    for (unsigned fd = first; fd <= end; ++fd) ::close(static_cast<int>(fd));
}

// Undoes mountinfo's octal escapes ("\040" for a space).
std::string unescape_mountinfo(const std::string& s) {
    auto is_octal = [](char c) { return c >= '0' && c <= '7'; };
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size() && is_octal(s[i + 1]) && is_octal(s[i + 2]) &&
            is_octal(s[i + 3])) {
            out.push_back(
                static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
            i += 3;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

}  // namespace

cntr::Fd open_root(const std::string& path) {
    int fd = ::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        std::string hint = err == ENOTDIR ? " (the root must be a directory)" : "";
        throw cntr::UserError("--root " + path + ": " + std::strerror(err) + hint);
    }
    return cntr::Fd(fd);
}

cntr::Fd open_root_in_namespaces(const std::string& path, const std::vector<int>& setns_fds) {
    if (setns_fds.empty()) return open_root(path);
    auto [parent_sock, child_sock] = cntr::seqpacket_pair();
    pid_t pid = ::fork();
    if (pid < 0) throw cntr::SysError("fork for --setns-fd", errno);
    if (pid == 0) {
        parent_sock.reset();
        std::string error;
        try {
            for (int fd : setns_fds) {
                struct stat target {};
                if (::fstat(fd, &target) != 0) {
                    throw cntr::UserError(
                        fmt::format("--setns-fd {}: {}", fd, std::strerror(errno)));
                }
                // Which namespace type: readlink gives "user:[4026531837]".
                std::array<char, 64> link{};
                std::string proc = fmt::format("/proc/self/fd/{}", fd);
                ssize_t n = ::readlink(proc.c_str(), link.data(), link.size() - 1);
                std::string kind(link.data(), n > 0 ? static_cast<size_t>(n) : 0);
                kind = kind.substr(0, kind.find(':'));
                struct stat current {};
                std::string own = "/proc/self/ns/" + kind;
                if (!kind.empty() && ::stat(own.c_str(), &current) == 0 &&
                    current.st_ino == target.st_ino && current.st_dev == target.st_dev) {
                    continue;  // already there
                }
                if (::setns(fd, 0) != 0) {
                    throw cntr::UserError(fmt::format(
                        "--setns-fd {} ({}): setns failed: {}; pass descriptors of "
                        "/proc/PID/ns/user then /proc/PID/ns/mnt, and run as root",
                        fd, kind.empty() ? "not a namespace" : kind, std::strerror(errno)));
                }
            }
            cntr::Fd root = open_root(path);
            int fds[] = {root.get()};
            cntr::send_message(child_sock.get(), "root", fds);
            ::_exit(0);
        } catch (const std::exception& e) {
            error = e.what();
        }
        try {
            cntr::send_message(child_sock.get(), "error: " + error);
        } catch (const std::exception&) {
        }
        ::_exit(1);
    }
    child_sock.reset();
    cntr::Message msg = cntr::recv_message(parent_sock.get());
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    for (int fd : setns_fds) ::close(fd);
    if (msg.data == "root" && msg.fds.size() == 1) return std::move(msg.fds[0]);
    if (msg.data.starts_with("error: ")) throw cntr::UserError(msg.data.substr(7));
    throw cntr::UserError("--setns-fd: the process opening --root in the namespaces died");
}

void prepare_process() {
    ::umask(0);
    // Every inode the kernel caches holds one of our descriptors: `du /usr` alone needs
    // tens of thousands. Root may raise the hard limit up to fs.nr_open; anyone may raise
    // the soft limit to the hard one.
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
    rlim_t nr_open = 0;
    try {
        nr_open = std::stoull(cntr::read_file("/proc/sys/fs/nr_open"));
    } catch (const std::exception&) {
    }
    if (nr_open > lim.rlim_max) {
        rlimit raised{.rlim_cur = nr_open, .rlim_max = nr_open};
        if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) return;
    }
    if (lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) {
            cntr::log::warn("cannot raise the descriptor limit to {}: {}", lim.rlim_max,
                            std::strerror(errno));
        }
    }
}

void close_other_fds(std::initializer_list<int> keep) {
    std::vector<unsigned> kept;
    for (int fd : keep) {
        if (fd >= 3) kept.push_back(static_cast<unsigned>(fd));
    }
    std::sort(kept.begin(), kept.end());
    unsigned first = 3;
    for (unsigned fd : kept) {
        if (fd > first) close_fd_range(first, fd - 1);
        first = std::max(first, fd + 1);
    }
    close_fd_range(first, ~0U);
}

dev_t find_fuse_mount_dev(const std::string& mountpoint) {
    std::string info;
    try {
        info = cntr::read_file("/proc/self/mountinfo");
    } catch (const std::exception& e) {
        cntr::log::debug("{}", e.what());
        return 0;
    }
    // "36 35 0:52 / /mnt rw,nosuid - fuse.cntrfs /src rw,...": field 3 is major:minor,
    // field 5 the mount point, the first field after "-" the type. Later lines are
    // mounted later, so the last match is the visible one.
    dev_t found = 0;
    std::istringstream lines(info);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream fields(line);
        std::string id, parent, devno, root, point, field;
        fields >> id >> parent >> devno >> root >> point;
        while (fields >> field && field != "-") {
        }
        std::string type;
        fields >> type;
        if (!type.starts_with("fuse") || unescape_mountinfo(point) != mountpoint) continue;
        unsigned major = 0, minor = 0;
        if (std::sscanf(devno.c_str(), "%u:%u", &major, &minor) == 2) {
            found = makedev(major, minor);
        }
    }
    return found;
}

}  // namespace cntrfs
