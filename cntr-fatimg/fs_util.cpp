#include "fs_util.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/core.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

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

namespace {

// Names in the directory `fd` (without "." and "..").
std::vector<std::string> names_in(int fd, const std::string& what) {
    int dupfd = check(::fcntl(fd, F_DUPFD_CLOEXEC, 0), "dup " + what);
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(dupfd), ::closedir);
    if (!dir) {
        ::close(dupfd);
        throw_errno("opendir " + what);
    }
    ::rewinddir(dir.get());  // the dup shares its offset with `fd`
    std::vector<std::string> out;
    while (dirent* d = ::readdir(dir.get())) {
        std::string n = d->d_name;
        if (n != "." && n != "..") out.push_back(std::move(n));
    }
    return out;
}

// One directory on the way down: its subdirectories still to remove, and its identity
// to recognise it again when we come back up through "..".
struct Level {
    std::string name;  // in its parent
    dev_t dev = 0;
    ino_t ino = 0;
    std::vector<std::string> subdirs;
};

Fd open_dir_at(int dirfd, const std::string& name, const std::string& what, Level& level,
               bool grant_access = true) {
    int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) throw_errno("open " + what);
    Fd dir(fd);
    struct stat st {};
    check(::fstat(dir.get(), &st), "stat " + what);
    level.name = name;
    level.dev = st.st_dev;
    level.ino = st.st_ino;
    // A directory without write/search permission for us (an image may ship 0555 dirs):
    // grant ourselves access first; root does not need it, other users do.
    if (grant_access) ::fchmod(dir.get(), 0700);
    // Everything but subdirectories goes now; those are visited one after another.
    for (auto& n : names_in(dir.get(), what)) {
        if (::unlinkat(dir.get(), n.c_str(), 0) == 0 || errno == ENOENT) continue;
        if (errno != EISDIR && errno != EPERM) throw_errno("remove " + what + "/" + n);
        level.subdirs.push_back(std::move(n));
    }
    return dir;
}

// Empties the directory `top` (opened by open_dir_at into `levels[0]`) depth first
// with two descriptors at any depth: a tree 10 000 levels deep needs no more than a
// flat one (an image chooses the depth; one descriptor per level ran out at ~500
// under `ulimit -n 1024`). Coming back up goes through "..", checked against the
// device and inode recorded on the way down, so a directory moved meanwhile stops
// the removal instead of redirecting it.
void empty_tree(Fd top, std::vector<Level>& levels, const std::string& what) {
    Fd cur = std::move(top);
    std::string path = what;
    while (!levels.empty()) {
        Level& here = levels.back();
        if (!here.subdirs.empty()) {
            std::string child = std::move(here.subdirs.back());
            here.subdirs.pop_back();
            Level next;
            Fd fd = open_dir_at(cur.get(), child, path + "/" + child, next);
            levels.push_back(std::move(next));
            path += "/" + child;
            cur = std::move(fd);
            continue;
        }
        if (levels.size() == 1) return;  // the top itself is the caller's to remove
        int up = ::openat(cur.get(), "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (up < 0) throw_errno("open " + path + "/..");
        Fd parent(up);
        const Level& above = levels[levels.size() - 2];
        struct stat st {};
        check(::fstat(parent.get(), &st), "stat " + path + "/..");
        if (st.st_dev != above.dev || st.st_ino != above.ino)
            throw SysError("remove " + path + ": its parent directory was moved", ESTALE);
        if (::unlinkat(parent.get(), here.name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
            throw_errno("rmdir " + path);
        path.resize(path.size() - here.name.size() - 1);
        levels.pop_back();
        cur = std::move(parent);
    }
}

}  // namespace

void clear_dir(int fd, const std::string& what) {
    std::vector<Level> levels(1);
    Fd top = open_dir_at(fd, ".", what, levels[0], false);
    empty_tree(std::move(top), levels, what);
}

void remove_tree_at(int dirfd, const std::string& name, const std::string& what) {
    if (::unlinkat(dirfd, name.c_str(), 0) == 0 || errno == ENOENT) return;
    if (errno != EISDIR && errno != EPERM) throw_errno("remove " + what);
    std::vector<Level> levels(1);
    Fd top;
    try {
        top = open_dir_at(dirfd, name, what, levels[0]);
    } catch (const SysError& e) {
        if (e.code() == ENOENT) return;
        throw;
    }
    empty_tree(std::move(top), levels, what);
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

RegularFile open_regular(int dirfd, const std::string& path, uint64_t max_size,
                         const std::string& what) {
    const int flags = O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY;
    Fd fd =
        dirfd >= 0 ? open_beneath(dirfd, path, flags) : Fd(::open(path.c_str(), flags | O_CLOEXEC));
    if (!fd) {
        if (errno == ELOOP || errno == EXDEV)
            throw UserError(
                fmt::format("{} is a symbolic link or leads through one; refused "
                            "(name the file it points to instead)",
                            what));
        if (errno == ENOENT) throw UserError(fmt::format("{} is missing", what));
        throw UserError(fmt::format("cannot open {}: {}", what, std::strerror(errno)));
    }
    struct stat st {};
    check(::fstat(fd.get(), &st), "fstat " + what);
    if (!S_ISREG(st.st_mode))
        throw UserError(fmt::format("{} is not a regular file; refused", what));
    if (static_cast<uint64_t>(st.st_size) > max_size)
        throw UserError(fmt::format("{} has {} bytes, more than the {} allowed; refused", what,
                                    st.st_size, max_size));
    int fl = check(::fcntl(fd.get(), F_GETFL), "fcntl " + what);
    check(::fcntl(fd.get(), F_SETFL, fl & ~O_NONBLOCK), "fcntl " + what);
    return {std::move(fd), static_cast<uint64_t>(st.st_size)};
}

std::string read_regular(const RegularFile& f, const std::string& what) {
    std::string out(f.size, '\0');
    size_t got = 0;
    while (got < out.size()) {
        ssize_t n =
            ::pread(f.fd.get(), out.data() + got, out.size() - got, static_cast<off_t>(got));
        if (n < 0 && errno == EINTR) continue;
        check(n, "read " + what);
        if (n == 0) break;  // shrank meanwhile: what is there is what we hash
        got += static_cast<size_t>(n);
    }
    out.resize(got);
    return out;
}

bool path_exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

std::string absolute_path(const std::string& path) {
    return std::filesystem::absolute(path).lexically_normal().string();
}

}  // namespace cntr::fatimg
