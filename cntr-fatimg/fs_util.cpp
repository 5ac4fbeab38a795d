#include "fs_util.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <memory>

#include "error.hpp"
#include "file_io.hpp"

namespace cntr::fatimg {

Fd open_beneath(int dirfd, const std::string& path, int flags, mode_t mode) {
    open_how how{};
    how.flags = static_cast<__u64>(flags | O_CLOEXEC);
    how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    const char* p = path.empty() ? "." : path.c_str();
    long fd;
    do {
        fd = ::syscall(SYS_openat2, dirfd, p, &how, sizeof how);
    } while (fd < 0 && (errno == EINTR || errno == EAGAIN));
    return Fd(fd < 0 ? -1 : static_cast<int>(fd));
}

void clear_dir(int fd, const std::string& what) {
    int dupfd = check(::fcntl(fd, F_DUPFD_CLOEXEC, 0), "dup " + what);
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(dupfd), ::closedir);
    if (!dir) {
        ::close(dupfd);
        throw_errno("opendir " + what);
    }
    while (dirent* d = ::readdir(dir.get())) {
        std::string n = d->d_name;
        if (n == "." || n == "..") continue;
        remove_tree_at(fd, n, what + "/" + n);
    }
}

void remove_tree_at(int dirfd, const std::string& name, const std::string& what) {
    if (::unlinkat(dirfd, name.c_str(), 0) == 0 || errno == ENOENT) return;
    if (errno != EISDIR && errno != EPERM) throw_errno("remove " + what);
    int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return;
        throw_errno("open " + what);
    }
    Fd dir(fd);
    // A directory without write/search permission for us (an image may ship 0555 dirs):
    // grant ourselves access first; root does not need it, other users do.
    ::fchmod(dir.get(), 0700);
    clear_dir(dir.get(), what);
    if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
        throw_errno("rmdir " + what);
}

void remove_tree(const std::string& path) {
    auto p = std::filesystem::path(path);
    std::string parent = p.parent_path().string();
    Fd dfd = open_fd(parent.empty() ? "." : parent, O_RDONLY | O_DIRECTORY);
    remove_tree_at(dfd.get(), p.filename().string(), path);
}

void make_dirs(const std::string& path, mode_t mode) {
    std::string cur;
    size_t pos = 0;
    while (pos != std::string::npos) {
        pos = path.find('/', pos + 1);
        cur = path.substr(0, pos);
        if (cur.empty()) continue;
        if (::mkdir(cur.c_str(), mode) != 0 && errno != EEXIST) throw_errno("mkdir " + cur);
    }
}

void write_file_atomic(const std::string& path, const std::string& data, mode_t mode) {
    std::string tmp = path + ".tmp." + std::to_string(::getpid());
    {
        Fd fd = open_fd(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
        write_all(fd.get(), data);
        check(::fsync(fd.get()), "fsync " + tmp);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int e = errno;
        ::unlink(tmp.c_str());
        errno = e;
        throw_errno("rename " + tmp + " to " + path);
    }
}

bool path_exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

std::string absolute_path(const std::string& path) {
    return std::filesystem::absolute(path).lexically_normal().string();
}

}  // namespace cntr::fatimg
