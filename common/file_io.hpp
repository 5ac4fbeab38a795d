// Whole-file reads and writes on descriptors, retrying short I/O and EINTR.
#pragma once

#include <string>
#include <string_view>

#include "fd.hpp"

namespace cntr {

// open(2) with O_CLOEXEC added; throws SysError naming the path.
Fd open_fd(const std::string& path, int flags, mode_t mode = 0);
Fd open_at(int dirfd, const std::string& path, int flags, mode_t mode = 0);

std::string read_all(int fd);
// Reads at most `limit` bytes: for data a container controls (its environ,
// passwd, group), which must never make cntr, host root, read without end.
struct BoundedRead {
    std::string data;
    bool truncated = false;  // the source had more than `limit` bytes
};
BoundedRead read_bounded(int fd, size_t limit);
std::string read_file(const std::string& path);
void write_all(int fd, std::string_view data);
void write_file(const std::string& path, std::string_view data);

}  // namespace cntr
