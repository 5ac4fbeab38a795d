// Layer unpacker.
//
// Why not archive_write_disk: it writes through absolute path strings, and its
// ARCHIVE_EXTRACT_SECURE_* checks are lstat()-then-open() sequences done on those
// strings. We want the kernel to enforce the boundary instead, so every write here
// is relative to a directory descriptor that was opened beneath the image root:
//
//   * Entry names are split into components. An absolute name or a ".." component
//     refuses the image (lexical guard, before anything is touched).
//   * The parent directory of every entry (and of every hard-link target) is opened
//     with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) from the root dirfd. A
//     symlink anywhere in the parent path -- including one created by an earlier
//     entry or layer (`evil -> /tmp/x`, then `evil/pwned`) -- makes openat2 fail
//     with ELOOP, which refuses the image naming the entry (kernel guard).
//   * The last component is created with *at() calls on that parent fd that never
//     follow a final symlink: openat(O_CREAT|O_EXCL|O_NOFOLLOW), mkdirat, symlinkat,
//     mknodat, linkat without AT_SYMLINK_FOLLOW. When the name is taken (by a lower
//     layer), what is there is removed with unlinkat, which does not follow
//     symlinks, and the call is made again.
//   * Metadata is applied through the fd of the object we created (fchown before
//     fchmod so set-id bits survive; xattrs such as security.capability last
//     because chown clears them), symlinks via *at(AT_SYMLINK_NOFOLLOW).
//
// Per-file cost: creating files is most of an unpack (decompression runs on another
// thread, layer_stream.hpp), so no call is made that cannot change anything. The
// parent directory's fd is reused while entries stay in one directory; an object is
// created with its permission bits, and chown, chmod, ftruncate and the pre-create
// stat happen only when the new object is not already what the entry says. The
// unpack directory is private to root (the store is 0700) until it is complete.
//
// Decompression happens on a thread of its own, with a filter allowlist per media
// type (layer_stream.hpp); this reader only parses tar.
//
// Limits: every entry, and every regular file's logical size (archive_entry_size:
// holes of a sparse file included), is counted against ImageLimits before it is
// written; the error names the limit and how to raise it.
//
// Whiteouts: `.wh.NAME` removes NAME from lower layers; `.wh..wh..opq` empties its
// directory of everything not written by the current layer (OCI image spec,
// "Representing Changes"). Directory mtimes are applied at the very end, since
// later entries change them.
#include "unpack.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>

#include "archive_error.hpp"
#include "error.hpp"
#include "fs_util.hpp"
#include "layer_stream.hpp"
#include "log.hpp"
#include "text.hpp"

namespace cntr::fatimg {

namespace {

using Archive = std::unique_ptr<archive, int (*)(archive*)>;

struct DirTime {
    std::string path;
    timespec times[2];
};

struct Budget {
    const ImageLimits& limits;
    uint64_t bytes = 0, entries = 0;
};

// The process's umask, without changing it (umask(2) can only set it, and other
// threads may be creating files): the "Umask:" line of /proc/self/status. When it
// cannot be read, 0777, so that every new object is chmod-ed.
mode_t current_umask() {
    std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen("/proc/self/status", "re"), std::fclose);
    if (!f) return 0777;
    char line[256];
    while (std::fgets(line, sizeof line, f.get())) {
        unsigned m = 0;
        if (std::sscanf(line, "Umask: %o", &m) == 1) return static_cast<mode_t>(m & 0777);
    }
    return 0777;
}

// What an object this unpacker creates is before its metadata is applied.
struct Creator {
    bool is_root = ::geteuid() == 0;
    uid_t uid = ::geteuid();
    gid_t gid = ::getegid();
    mode_t umask = current_umask();
};

// The directory entries are being created in; a tar lists a directory's entries
// together, so most entries find it already open. Reusing it is sound: until the
// cache moves to another directory, every entry changes only children of this one.
struct Parent {
    std::string path;
    Fd fd;
    gid_t new_gid = 0;    // the group a new child gets
    bool setgid = false;  // a new directory inherits S_ISGID
};

class LayerApplier {
  public:
    LayerApplier(int rootfd, const LayerFile& layer, size_t index, Budget& budget,
                 const Creator& creator)
        : rootfd_(rootfd), layer_(layer), index_(index), creator_(creator), budget_(budget) {}

    void apply(std::vector<DirTime>& dir_times);

  private:
    [[noreturn]] void refuse(const std::string& entry, const std::string& why) const {
        throw UserError(fmt::format(
            "image refused: layer {} ({}) entry \"{}\" {}; nothing of this image was stored",
            index_ + 1, layer_.digest, printable(entry), why));
    }
    [[noreturn]] void fail(const std::string& entry, const std::string& op) const {
        throw UserError(fmt::format("unpacking layer {} ({}) entry \"{}\": {}: {}", index_ + 1,
                                    layer_.digest, printable(entry), printable(op),
                                    std::strerror(errno)));
    }
    void count(archive_entry* e, const std::string& entry);
    // `entry` names the archive entry in refusals (differs from `raw` for link targets).
    std::vector<std::string> split(const std::string& raw, const std::string& entry) const;
    Fd open_parent(const std::vector<std::string>& comps, size_t n, const std::string& entry,
                   bool create) const;
    const Parent& parent_of(const std::vector<std::string>& comps, const std::string& entry);
    void opaque(int parentfd, const std::string& parent_path, const std::string& entry);
    // Whether an object just created in `parent` with the entry's permission bits
    // still needs chown / chmod.
    [[nodiscard]] bool needs_chown(archive_entry* e, const Parent& parent) const;
    [[nodiscard]] bool needs_chmod(archive_entry* e, const Parent& parent) const;
    void apply_meta(int fd, archive_entry* e, const std::string& entry, bool chown,
                    bool chmod) const;
    // Returns where the data written ends.
    [[nodiscard]] la_int64_t write_data(archive* a, int fd, const std::string& entry) const;
    void one_entry(archive* a, archive_entry* e, std::vector<DirTime>& dir_times);

    int rootfd_;
    const LayerFile& layer_;
    size_t index_;
    const Creator& creator_;
    Budget& budget_;
    Parent parent_;
    LayerStream* stream_ = nullptr;  // while apply() reads the layer
    std::set<std::string> written_;  // paths this layer created (opaque dirs keep them)
};

std::string join(const std::vector<std::string>& comps, size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i) {
        if (i) s += '/';
        s += comps[i];
    }
    return s;
}

std::vector<std::string> LayerApplier::split(const std::string& raw,
                                             const std::string& entry) const {
    const std::string what = raw == entry ? "" : " link target \"" + raw + "\"";
    if (raw.starts_with("/"))
        refuse(entry, what.empty() ? "has an absolute name" : "has an absolute" + what);
    std::vector<std::string> comps;
    size_t pos = 0;
    while (pos <= raw.size()) {
        size_t next = raw.find('/', pos);
        if (next == std::string::npos) next = raw.size();
        std::string c = raw.substr(pos, next - pos);
        if (c == "..")
            refuse(entry, what.empty() ? "contains \"..\"" : "has a" + what + " containing \"..\"");
        if (!c.empty() && c != ".") comps.push_back(c);
        pos = next + 1;
    }
    return comps;
}

Fd LayerApplier::open_parent(const std::vector<std::string>& comps, size_t n,
                             const std::string& entry, bool create) const {
    Fd fd = open_beneath(rootfd_, join(comps, n), O_PATH | O_DIRECTORY);
    if (fd) return fd;
    if (errno == ELOOP || errno == EXDEV) refuse(entry, "would be written through a symlink");
    if (errno == ENOTDIR) refuse(entry, "has a parent that is not a directory");
    if (errno != ENOENT || !create) fail(entry, "open parent directory " + join(comps, n));
    // Create missing parents one at a time, each opened again with the same guards.
    Fd cur = open_beneath(rootfd_, "", O_PATH | O_DIRECTORY);
    for (size_t i = 0; i < n; ++i) {
        Fd next = open_beneath(cur.get(), comps[i], O_PATH | O_DIRECTORY);
        if (!next && errno == ENOENT) {
            if (::mkdirat(cur.get(), comps[i].c_str(), 0755) != 0 && errno != EEXIST)
                fail(entry, "mkdir " + join(comps, i + 1));
            next = open_beneath(cur.get(), comps[i], O_PATH | O_DIRECTORY);
        }
        if (!next) {
            if (errno == ELOOP || errno == EXDEV)
                refuse(entry, "would be written through a symlink");
            if (errno == ENOTDIR) refuse(entry, "has a parent that is not a directory");
            fail(entry, "open " + join(comps, i + 1));
        }
        cur = std::move(next);
    }
    return cur;
}

const Parent& LayerApplier::parent_of(const std::vector<std::string>& comps,
                                      const std::string& entry) {
    std::string path = join(comps, comps.size() - 1);
    if (parent_.fd && parent_.path == path) return parent_;
    parent_ = {};
    Fd fd = open_parent(comps, comps.size() - 1, entry, true);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) fail(entry, "stat parent directory");
    parent_.setgid = (st.st_mode & S_ISGID) != 0;
    parent_.new_gid = parent_.setgid ? st.st_gid : creator_.gid;
    parent_.path = std::move(path);
    parent_.fd = std::move(fd);
    return parent_;
}

void LayerApplier::opaque(int parentfd, const std::string& parent_path, const std::string& entry) {
    Fd dir = open_beneath(parentfd, "", O_RDONLY | O_DIRECTORY);
    if (!dir) fail(entry, "open opaque directory");
    std::vector<std::string> names;
    {
        int dupfd = ::fcntl(dir.get(), F_DUPFD_CLOEXEC, 0);
        std::unique_ptr<DIR, int (*)(DIR*)> d(::fdopendir(dupfd), ::closedir);
        if (!d) fail(entry, "read opaque directory");
        while (dirent* de = ::readdir(d.get())) {
            std::string n = de->d_name;
            if (n != "." && n != "..") names.push_back(n);
        }
    }
    for (const auto& n : names) {
        std::string p = parent_path.empty() ? n : parent_path + "/" + n;
        if (!written_.contains(p)) remove_tree_at(dir.get(), n, p);
    }
}

bool LayerApplier::needs_chown(archive_entry* e, const Parent& parent) const {
    return creator_.is_root && (static_cast<uid_t>(archive_entry_uid(e)) != creator_.uid ||
                                static_cast<gid_t>(archive_entry_gid(e)) != parent.new_gid);
}

bool LayerApplier::needs_chmod(archive_entry* e, const Parent& parent) const {
    const mode_t perm = archive_entry_perm(e) & 07777;
    return parent.setgid || perm != (perm & 0777 & ~creator_.umask);
}

void LayerApplier::apply_meta(int fd, archive_entry* e, const std::string& entry, bool chown,
                              bool chmod) const {
    if (chown && ::fchown(fd, static_cast<uid_t>(archive_entry_uid(e)),
                          static_cast<gid_t>(archive_entry_gid(e))) != 0)
        fail(entry, "chown");
    if (chmod && ::fchmod(fd, archive_entry_perm(e) & 07777) != 0) fail(entry, "chmod");
    archive_entry_xattr_reset(e);
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
        if (::fsetxattr(fd, name, value, size, 0) != 0) {
            // Unprivileged runs cannot set trusted.* / security.*; root must succeed.
            if (creator_.is_root) fail(entry, fmt::format("set xattr {}", name));
            log::debug("{}: cannot set xattr {} as non-root: {}", entry, name,
                       std::strerror(errno));
        }
    }
}

la_int64_t LayerApplier::write_data(archive* a, int fd, const std::string& entry) const {
    const void* buf = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    la_int64_t end = 0;
    for (;;) {
        int r = archive_read_data_block(a, &buf, &size, &offset);
        if (r == ARCHIVE_EOF) break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            stream_->rethrow_error();
            throw UserError(fmt::format("unpacking layer {} ({}) entry \"{}\": {}", index_ + 1,
                                        layer_.digest, printable(entry), archive_reason(a)));
        }
        const char* p = static_cast<const char*>(buf);
        while (size > 0) {
            ssize_t n = ::pwrite(fd, p, size, offset);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) fail(entry, "write");
            p += n;
            offset += n;
            size -= static_cast<size_t>(n);
        }
        end = std::max(end, offset);
    }
    return end;
}

void LayerApplier::count(archive_entry* e, const std::string& entry) {
    const ImageLimits& lim = budget_.limits;
    if (++budget_.entries > lim.max_entries)
        throw UserError(fmt::format(
            "image refused: it has more than {} entries (limit reached at layer {} ({}) entry "
            "\"{}\"); if you trust the image, raise the limit with --max-image-entries N or "
            "CNTR_FATIMG_MAX_IMAGE_ENTRIES=N",
            lim.max_entries, index_ + 1, layer_.digest, printable(entry)));
    if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e)) return;
    // The logical size, which a sparse file's holes are part of: what the file system
    // will report, and what a later copy of the tools root would write out.
    const la_int64_t size = archive_entry_size(e);
    if (size < 0 || static_cast<uint64_t>(size) > lim.max_bytes - budget_.bytes)
        throw UserError(fmt::format(
            "image refused: it unpacks to more than {} bytes (layer {} ({}) entry \"{}\" of {} "
            "bytes passes the limit); if you trust the image, raise the limit with "
            "--max-image-size SIZE or CNTR_FATIMG_MAX_IMAGE_SIZE=SIZE",
            lim.max_bytes, index_ + 1, layer_.digest, printable(entry), size));
    budget_.bytes += static_cast<uint64_t>(size);
}

void LayerApplier::one_entry(archive* a, archive_entry* e, std::vector<DirTime>& dir_times) {
    const char* raw_c = archive_entry_pathname(e);
    if (!raw_c) raw_c = archive_entry_pathname_utf8(e);
    if (!raw_c)
        throw UserError(
            fmt::format("layer {} ({}): entry without a name", index_ + 1, layer_.digest));
    const std::string raw = raw_c;
    count(e, raw);
    auto comps = split(raw, raw);
    if (comps.empty()) return;  // "./": the root itself, which we own
    const std::string base = comps.back();
    const std::string path = join(comps, comps.size());
    const std::string parent_path = join(comps, comps.size() - 1);

    const Parent& dir = parent_of(comps, raw);
    const int parent = dir.fd.get();

    if (base.starts_with(".wh.")) {
        if (base == ".wh..wh..opq") {
            opaque(parent, parent_path, raw);
        } else {
            std::string victim = base.substr(4);
            if (victim.empty() || victim == "." || victim == "..")
                refuse(raw, "is a malformed whiteout");
            remove_tree_at(parent, victim,
                           parent_path.empty() ? victim : parent_path + "/" + victim);
        }
        return;
    }

    const mode_t type = archive_entry_filetype(e);
    const mode_t perm = archive_entry_perm(e) & 07777;
    const char* hardlink = archive_entry_hardlink(e);
    written_.insert(path);
    // Makes the object with `create`, a *at() call that fails with EEXIST when a lower
    // layer left something at the name; that is then removed and the call made again.
    auto replacing = [&](auto create) {
        int r = create();
        if (r >= 0 || errno != EEXIST) return r;
        remove_tree_at(parent, base, path);
        return create();
    };

    if (hardlink) {
        auto tcomps = split(hardlink, raw);
        if (tcomps.empty()) refuse(raw, "is a hard link to the image root");
        Fd tparent = open_parent(tcomps, tcomps.size() - 1, raw, false);
        if (replacing([&] {
                return ::linkat(tparent.get(), tcomps.back().c_str(), parent, base.c_str(), 0);
            }) != 0)
            fail(raw, fmt::format("hard link to \"{}\"", hardlink));
        return;
    }

    const timespec mtime{archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
    const timespec times[2] = {mtime, mtime};
    switch (type) {
        case AE_IFDIR: {
            bool fresh = ::mkdirat(parent, base.c_str(), perm & 0777) == 0;
            if (!fresh) {
                if (errno != EEXIST) fail(raw, "mkdir");
                // A lower layer's directory stays (with its content); anything else goes.
                struct stat old {};
                if (::fstatat(parent, base.c_str(), &old, AT_SYMLINK_NOFOLLOW) != 0 ||
                    !S_ISDIR(old.st_mode)) {
                    remove_tree_at(parent, base, path);
                    if (::mkdirat(parent, base.c_str(), perm & 0777) != 0) fail(raw, "mkdir");
                    fresh = true;
                }
            }
            const bool chown = !fresh ? creator_.is_root : needs_chown(e, dir);
            const bool chmod = !fresh || needs_chmod(e, dir);
            if (chown || chmod || archive_entry_xattr_count(e) > 0) {
                Fd fd = open_beneath(parent, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
                if (!fd) fail(raw, "open directory");
                apply_meta(fd.get(), e, raw, chown, chmod);
            }
            dir_times.push_back({path, {mtime, mtime}});
            break;
        }
        case AE_IFREG: {
            int fdn = replacing([&] {
                return ::openat(parent, base.c_str(),
                                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, perm & 0777);
            });
            if (fdn < 0) fail(raw, "create");
            Fd fd(fdn);
            // A sparse file's last hole is not written: the size makes it.
            if (write_data(a, fd.get(), raw) != archive_entry_size(e) &&
                ::ftruncate(fd.get(), archive_entry_size(e)) != 0)
                fail(raw, "truncate");
            apply_meta(fd.get(), e, raw, needs_chown(e, dir), needs_chmod(e, dir));
            if (::futimens(fd.get(), times) != 0) fail(raw, "set times");
            break;
        }
        case AE_IFLNK: {
            const char* target = archive_entry_symlink(e);
            if (!target) target = "";
            if (replacing([&] { return ::symlinkat(target, parent, base.c_str()); }) != 0)
                fail(raw, "symlink");
            if (needs_chown(e, dir) &&
                ::fchownat(parent, base.c_str(), static_cast<uid_t>(archive_entry_uid(e)),
                           static_cast<gid_t>(archive_entry_gid(e)), AT_SYMLINK_NOFOLLOW) != 0)
                fail(raw, "chown symlink");
            if (::utimensat(parent, base.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
                fail(raw, "set symlink times");
            break;
        }
        case AE_IFCHR:
        case AE_IFBLK:
        case AE_IFIFO: {
            if (type != AE_IFIFO && !creator_.is_root) {
                log::debug("{}: device node skipped (not root)", raw);
                remove_tree_at(parent, base, path);
                break;
            }
            dev_t dev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
            if (replacing([&] { return ::mknodat(parent, base.c_str(), type | perm, dev); }) != 0)
                fail(raw, "mknod");
            if (creator_.is_root &&
                ::fchownat(parent, base.c_str(), static_cast<uid_t>(archive_entry_uid(e)),
                           static_cast<gid_t>(archive_entry_gid(e)), AT_SYMLINK_NOFOLLOW) != 0)
                fail(raw, "chown");
            if (::fchmodat(parent, base.c_str(), perm, 0) != 0) fail(raw, "chmod");
            if (::utimensat(parent, base.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
                fail(raw, "set times");
            break;
        }
        default:
            log::debug("{}: entry of type {:o} skipped (sockets are not stored in images)", raw,
                       type);
            remove_tree_at(parent, base, path);
            written_.erase(path);
            break;
    }
}

void LayerApplier::apply(std::vector<DirTime>& dir_times) {
    LayerStream stream(layer_, index_);
    stream_ = &stream;
    // The tar format alone: the stream is already decompressed, and anything still
    // compressed inside it is not a tar.
    Archive a(archive_read_new(), archive_read_free);
    archive_read_support_format_tar(a.get());
    stream.open(a.get());
    archive_entry* e = nullptr;
    for (;;) {
        int r = archive_read_next_header(a.get(), &e);
        if (r == ARCHIVE_EOF) break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            stream.rethrow_error();
            throw UserError(fmt::format("layer {} ({}) is not a valid tar archive: {}", index_ + 1,
                                        layer_.digest, archive_reason(a.get())));
        }
        one_entry(a.get(), e, dir_times);
    }
    stream_ = nullptr;
}

}  // namespace

ImageLimits image_limits(const std::optional<uint64_t>& bytes,
                         const std::optional<uint64_t>& entries) {
    ImageLimits l;
    if (bytes)
        l.max_bytes = *bytes;
    else if (const char* e = std::getenv("CNTR_FATIMG_MAX_IMAGE_SIZE"); e && *e)
        l.max_bytes = parse_size(e, "CNTR_FATIMG_MAX_IMAGE_SIZE");
    if (entries)
        l.max_entries = *entries;
    else if (const char* e = std::getenv("CNTR_FATIMG_MAX_IMAGE_ENTRIES"); e && *e)
        l.max_entries = parse_size(e, "CNTR_FATIMG_MAX_IMAGE_ENTRIES");
    return l;
}

void unpack_layers(const std::string& root_dir, const std::vector<LayerFile>& layers,
                   const ImageLimits& limits) {
    int rfd = ::open(root_dir.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (rfd < 0) throw_errno("open " + root_dir);
    Fd root(rfd);
    std::vector<DirTime> dir_times;
    Budget budget{limits};
    const Creator creator;
    for (size_t i = 0; i < layers.size(); ++i) {
        LayerApplier(root.get(), layers[i], i, budget, creator).apply(dir_times);
    }
    for (const auto& d : dir_times) {
        Fd fd = open_beneath(root.get(), d.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        if (fd)
            ::futimens(fd.get(), d.times);  // gone (whited out later) or replaced: nothing to do
    }
}

}  // namespace cntr::fatimg
