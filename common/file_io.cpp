#include "file_io.hpp"

#include <fcntl.h>

#include <algorithm>
#include <array>

#include "error.hpp"

namespace cntr {

Fd open_fd(const std::string& path, int flags, mode_t mode) {
    return open_at(AT_FDCWD, path, flags, mode);
}

Fd open_at(int dirfd, const std::string& path, int flags, mode_t mode) {
    int fd;
    do {
        fd = ::openat(dirfd, path.c_str(), flags | O_CLOEXEC, mode);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) throw_errno("open " + path);
    return Fd(fd);
}

std::string read_all(int fd) {
    std::string out;
    std::array<char, 16384> buf{};
    for (;;) {
        ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        check(n, "read");
        if (n == 0) return out;
        out.append(buf.data(), static_cast<size_t>(n));
    }
}

BoundedRead read_bounded(int fd, size_t limit) {
    BoundedRead out;
    std::array<char, 16384> buf{};
    for (;;) {
        // One byte past the limit tells "exactly limit" from "more".
        const size_t want = std::min(buf.size(), limit + 1 - out.data.size());
        ssize_t n = ::read(fd, buf.data(), want);
        if (n < 0 && errno == EINTR) continue;
        check(n, "read");
        if (n == 0) return out;
        out.data.append(buf.data(), static_cast<size_t>(n));
        if (out.data.size() > limit) {
            out.data.resize(limit);
            out.truncated = true;
            return out;
        }
    }
}

std::string read_file(const std::string& path) {
    Fd fd = open_fd(path, O_RDONLY);
    try {
        return read_all(fd.get());
    } catch (const SysError& e) {
        throw SysError("read " + path, e.code());
    }
}

void write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        check(n, "write");
        data.remove_prefix(static_cast<size_t>(n));
    }
}

void write_file(const std::string& path, std::string_view data) {
    Fd fd = open_fd(path, O_WRONLY);
    try {
        write_all(fd.get(), data);
    } catch (const SysError& e) {
        throw SysError("write " + path, e.code());
    }
}

}  // namespace cntr
