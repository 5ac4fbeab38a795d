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
//     mknodat, linkat without AT_SYMLINK_FOLLOW. Whatever was there before (from a
//     lower layer) is removed first with unlinkat, which does not follow symlinks.
//   * Metadata is applied through the fd of the object we created (fchown before
//     fchmod so set-id bits survive; xattrs such as security.capability last
//     because chown clears them), symlinks via *at(AT_SYMLINK_NOFOLLOW).
//
// Decompression: libarchive would chain any filter it can bid on (gzip in gzip in
// gzip, and lzop/lrzip/grzip by running those programs from $PATH as root). Only the
// gzip and zstd filters are registered, and after opening the detected chain must be
// exactly the one the layer's media type names (or none for a plain tar).
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

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>

#include "error.hpp"
#include "fs_util.hpp"
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

class LayerApplier {
  public:
    LayerApplier(int rootfd, const LayerFile& layer, size_t index, Budget& budget)
        : rootfd_(rootfd),
          layer_(layer),
          index_(index),
          is_root_(::geteuid() == 0),
          budget_(budget) {}

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
    void check_filters(archive* a) const;
    // `entry` names the archive entry in refusals (differs from `raw` for link targets).
    std::vector<std::string> split(const std::string& raw, const std::string& entry) const;
    Fd open_parent(const std::vector<std::string>& comps, size_t n, const std::string& entry,
                   bool create) const;
    void opaque(int parentfd, const std::string& parent_path, const std::string& entry);
    void apply_meta(int fd, archive_entry* e, const std::string& entry) const;
    void write_data(archive* a, int fd, const std::string& entry) const;
    void one_entry(archive* a, archive_entry* e, std::vector<DirTime>& dir_times);

    int rootfd_;
    const LayerFile& layer_;
    size_t index_;
    bool is_root_;
    Budget& budget_;
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

void LayerApplier::apply_meta(int fd, archive_entry* e, const std::string& entry) const {
    if (is_root_ && ::fchown(fd, static_cast<uid_t>(archive_entry_uid(e)),
                             static_cast<gid_t>(archive_entry_gid(e))) != 0)
        fail(entry, "chown");
    if (::fchmod(fd, archive_entry_perm(e) & 07777) != 0) fail(entry, "chmod");
    archive_entry_xattr_reset(e);
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
        if (::fsetxattr(fd, name, value, size, 0) != 0) {
            // Unprivileged runs cannot set trusted.* / security.*; root must succeed.
            if (is_root_) fail(entry, fmt::format("set xattr {}", name));
            log::debug("{}: cannot set xattr {} as non-root: {}", entry, name,
                       std::strerror(errno));
        }
    }
}

void LayerApplier::write_data(archive* a, int fd, const std::string& entry) const {
    const void* buf = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    for (;;) {
        int r = archive_read_data_block(a, &buf, &size, &offset);
        if (r == ARCHIVE_EOF) break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
            throw UserError(fmt::format("unpacking layer {} ({}) entry \"{}\": {}", index_ + 1,
                                        layer_.digest, printable(entry),
                                        printable(archive_error_string(a))));
        const char* p = static_cast<const char*>(buf);
        while (size > 0) {
            ssize_t n = ::pwrite(fd, p, size, offset);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) fail(entry, "write");
            p += n;
            offset += n;
            size -= static_cast<size_t>(n);
        }
    }
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

    Fd parent = open_parent(comps, comps.size() - 1, raw, true);

    if (base.starts_with(".wh.")) {
        if (base == ".wh..wh..opq") {
            opaque(parent.get(), parent_path, raw);
        } else {
            std::string victim = base.substr(4);
            if (victim.empty() || victim == "." || victim == "..")
                refuse(raw, "is a malformed whiteout");
            remove_tree_at(parent.get(), victim,
                           parent_path.empty() ? victim : parent_path + "/" + victim);
        }
        return;
    }

    const mode_t type = archive_entry_filetype(e);
    const char* hardlink = archive_entry_hardlink(e);
    struct stat old {};
    if (::fstatat(parent.get(), base.c_str(), &old, AT_SYMLINK_NOFOLLOW) == 0) {
        bool keep_dir = S_ISDIR(old.st_mode) && type == AE_IFDIR && !hardlink;
        if (!keep_dir) remove_tree_at(parent.get(), base, path);
    }
    written_.insert(path);

    if (hardlink) {
        auto tcomps = split(hardlink, raw);
        if (tcomps.empty()) refuse(raw, "is a hard link to the image root");
        Fd tparent = open_parent(tcomps, tcomps.size() - 1, raw, false);
        if (::linkat(tparent.get(), tcomps.back().c_str(), parent.get(), base.c_str(), 0) != 0)
            fail(raw, fmt::format("hard link to \"{}\"", hardlink));
        return;
    }

    const timespec mtime{archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
    const timespec times[2] = {mtime, mtime};
    switch (type) {
        case AE_IFDIR: {
            if (::mkdirat(parent.get(), base.c_str(), 0700) != 0 && errno != EEXIST)
                fail(raw, "mkdir");
            Fd fd = open_beneath(parent.get(), base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
            if (!fd) fail(raw, "open directory");
            apply_meta(fd.get(), e, raw);
            dir_times.push_back({path, {mtime, mtime}});
            break;
        }
        case AE_IFREG: {
            int fdn = ::openat(parent.get(), base.c_str(),
                               O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
            if (fdn < 0) fail(raw, "create");
            Fd fd(fdn);
            write_data(a, fd.get(), raw);
            if (::ftruncate(fd.get(), archive_entry_size(e)) != 0) fail(raw, "truncate");
            apply_meta(fd.get(), e, raw);
            if (::futimens(fd.get(), times) != 0) fail(raw, "set times");
            break;
        }
        case AE_IFLNK: {
            const char* target = archive_entry_symlink(e);
            if (!target) target = "";
            if (::symlinkat(target, parent.get(), base.c_str()) != 0) fail(raw, "symlink");
            if (is_root_ &&
                ::fchownat(parent.get(), base.c_str(), static_cast<uid_t>(archive_entry_uid(e)),
                           static_cast<gid_t>(archive_entry_gid(e)), AT_SYMLINK_NOFOLLOW) != 0)
                fail(raw, "chown symlink");
            if (::utimensat(parent.get(), base.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
                fail(raw, "set symlink times");
            break;
        }
        case AE_IFCHR:
        case AE_IFBLK:
        case AE_IFIFO: {
            if (type != AE_IFIFO && !is_root_) {
                log::debug("{}: device node skipped (not root)", raw);
                break;
            }
            dev_t dev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
            if (::mknodat(parent.get(), base.c_str(), type | (archive_entry_perm(e) & 07777),
                          dev) != 0)
                fail(raw, "mknod");
            Fd fd = open_beneath(parent.get(), base, O_PATH | O_NOFOLLOW);
            if (is_root_ &&
                ::fchownat(parent.get(), base.c_str(), static_cast<uid_t>(archive_entry_uid(e)),
                           static_cast<gid_t>(archive_entry_gid(e)), AT_SYMLINK_NOFOLLOW) != 0)
                fail(raw, "chown");
            if (::fchmodat(parent.get(), base.c_str(), archive_entry_perm(e) & 07777, 0) != 0)
                fail(raw, "chmod");
            if (::utimensat(parent.get(), base.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
                fail(raw, "set times");
            break;
        }
        default:
            log::debug("{}: entry of type {:o} skipped (sockets are not stored in images)", raw,
                       type);
            written_.erase(path);
            break;
    }
}

// The one filter `media_type` allows (ARCHIVE_FILTER_NONE for a plain tar), or -1.
int filter_for(const std::string& media_type) {
    if (media_type.ends_with("+gzip") || media_type.ends_with(".tar.gzip"))
        return ARCHIVE_FILTER_GZIP;
    if (media_type.ends_with("+zstd") || media_type.ends_with(".tar.zstd"))
        return ARCHIVE_FILTER_ZSTD;
    if (media_type.ends_with(".tar")) return ARCHIVE_FILTER_NONE;
    return -1;
}

void LayerApplier::check_filters(archive* a) const {
    const int want = filter_for(layer_.media_type);
    // archive_filter_code(a, 0) is the outermost filter; the last one is always NONE
    // (the raw file). A plain tar has 1, a compressed one exactly 2.
    const int n = archive_filter_count(a);
    const int got = n >= 1 ? archive_filter_code(a, 0) : -1;
    const bool ok = want == ARCHIVE_FILTER_NONE ? n == 1 : (n == 2 && got == want);
    if (ok) return;
    std::string chain;
    for (int i = 0; i < n; ++i) {
        const char* name = archive_filter_name(a, i);
        chain += std::string(chain.empty() ? "" : " in ") + (name ? name : "?");
    }
    throw UserError(fmt::format(
        "image refused: layer {} ({}) of media type \"{}\" is compressed as {}; only one "
        "gzip or zstd compression matching the media type, or none for a plain tar, is "
        "accepted",
        index_ + 1, layer_.digest, printable(layer_.media_type), chain));
}

void LayerApplier::apply(std::vector<DirTime>& dir_times) {
    if (filter_for(layer_.media_type) < 0)
        throw UserError(fmt::format(
            "image refused: layer {} ({}) has the unsupported media type \"{}\" (tar, tar+gzip "
            "and tar+zstd layers are supported)",
            index_ + 1, layer_.digest, printable(layer_.media_type)));
    Archive a(archive_read_new(), archive_read_free);
    // Nothing else: every other libarchive filter is either unneeded or runs an
    // external program (lzop, lrzip, grzip, ...) found on $PATH.
    archive_read_support_filter_gzip(a.get());
    archive_read_support_filter_zstd(a.get());
    archive_read_support_format_tar(a.get());
    if (archive_read_open_filename(a.get(), layer_.path.c_str(), 1 << 20) != ARCHIVE_OK)
        throw UserError(fmt::format("cannot read layer {} ({}): {}", index_ + 1, layer_.digest,
                                    printable(archive_error_string(a.get()))));
    check_filters(a.get());
    archive_entry* e = nullptr;
    for (;;) {
        int r = archive_read_next_header(a.get(), &e);
        if (r == ARCHIVE_EOF) break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
            throw UserError(fmt::format("layer {} ({}) is not a valid tar archive: {}", index_ + 1,
                                        layer_.digest, printable(archive_error_string(a.get()))));
        one_entry(a.get(), e, dir_times);
    }
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
    for (size_t i = 0; i < layers.size(); ++i) {
        LayerApplier(root.get(), layers[i], i, budget).apply(dir_times);
    }
    for (const auto& d : dir_times) {
        Fd fd = open_beneath(root.get(), d.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        if (fd)
            ::futimens(fd.get(), d.times);  // gone (whited out later) or replaced: nothing to do
    }
}

}  // namespace cntr::fatimg
