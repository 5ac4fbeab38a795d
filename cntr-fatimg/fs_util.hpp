// Small descriptor-based file-system helpers shared by the store and the unpacker.
// Everything that walks into an image root goes through open_beneath(), i.e.
// openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, so a path can neither
// leave the root lexically ("..") nor through a symlink planted by an image.
#pragma once

#include <cstdint>
#include <string>

#include "fd.hpp"

namespace cntr::fatimg {

// openat2(dirfd, path, flags | O_CLOEXEC,
// RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS). Returns an invalid Fd and sets errno
// on failure (callers turn ELOOP into a refusal).
Fd open_beneath(int dirfd, const std::string& path, int flags, mode_t mode = 0);

// Removes `name` in `dirfd` (file, symlink or whole directory tree) without following
// symlinks. Missing is not an error. Throws SysError naming `what` on failure.
void remove_tree_at(int dirfd, const std::string& name, const std::string& what);

// Removes everything inside the directory `fd` refers to (not the directory itself);
// `what` names it in errors.
void clear_dir(int fd, const std::string& what);

// rm -rf of an absolute path (our own store directories).
void remove_tree(const std::string& path);

// mkdir -p with `mode` for newly created directories.
void make_dirs(const std::string& path, mode_t mode);

// Writes `data` to a temporary file next to `path` (created with `mode`), fsyncs it and
// renames it over `path`: readers see the old content or the new, never a part.
void write_file_atomic(const std::string& path, const std::string& data, mode_t mode = 0644);

bool path_exists(const std::string& path);

// A regular file of a hostile source (an OCI layout's index.json or blob, an
// archive), opened without following a symlink in its last component (and, with
// `dirfd` >= 0, in any component, beneath `dirfd`), O_NONBLOCK first so that a FIFO
// cannot block the open, then checked to be a regular file of at most `max_size`
// bytes. Throws UserError naming `what` otherwise.
struct RegularFile {
    Fd fd;
    uint64_t size = 0;
};
RegularFile open_regular(int dirfd, const std::string& path, uint64_t max_size,
                         const std::string& what);
// The whole content of `f` (its size was checked by open_regular).
std::string read_regular(const RegularFile& f, const std::string& what);

std::string absolute_path(const std::string& path);

}  // namespace cntr::fatimg
