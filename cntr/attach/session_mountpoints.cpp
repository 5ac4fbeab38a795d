// Why a skeleton and not an overlay: an overlayfs with the tools as its lower
// layer would do every lookup below it with the mounter's (host root's)
// credentials, give every tools file overlay's device and inode numbers, and
// be read-only as a whole (no FUSE upper layer), so it would also change what
// --writable-tools means. A plain tmpfs over the parent would hide the
// parent's own entries. The skeleton needs only tmpfs and bind mounts: every
// tools file the session opens is still the same CNTRFS inode, under the same
// mount attributes (read-only, nosuid, nodev), and the tools are never written.
#include "session_mountpoints.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "error.hpp"
#include "file_io.hpp"
#include "log.hpp"
#include "mount_api.hpp"

namespace cntr {
namespace {

std::vector<std::string> components(const std::string& path) {
    std::vector<std::string> out;
    std::istringstream in(path);
    for (std::string c; std::getline(in, c, '/');)
        if (!c.empty()) out.push_back(c);
    return out;
}

bool present(const std::string& path, bool directory) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode) == directory;
}

// A wanted path that is missing, relative to the directory that gets the skeleton.
struct Missing {
    std::vector<std::string> parts;
    bool directory;
    std::string content;
};

// The longest prefix of `parts` (but the last) that exists as a directory, resolved.
std::string existing_parent(const std::vector<std::string>& parts, size_t& depth) {
    std::string prefix = "/";
    depth = 0;
    while (depth + 1 < parts.size()) {
        const std::string next = prefix + (prefix == "/" ? "" : "/") + parts[depth];
        if (!present(next, true)) break;
        prefix = next;
        ++depth;
    }
    std::array<char, PATH_MAX> resolved{};
    if (::realpath(prefix.c_str(), resolved.data()) == nullptr) throw_errno("realpath " + prefix);
    return resolved.data();
}

std::string octal_mode(mode_t mode) {
    std::ostringstream out;
    out << std::oct << (mode & 07777);
    return out.str();
}

// The session child is host root; what it creates belongs to the parent's owner
// (container root's host ids when the tools are shifted for a user namespace).
void create_missing(int skel, const Missing& m, const struct stat& owner) {
    std::string rel;
    for (size_t i = 0; i < m.parts.size(); ++i) {
        rel += (rel.empty() ? "" : "/") + m.parts[i];
        const bool last = i + 1 == m.parts.size();
        if (!last || m.directory) {
            if (::mkdirat(skel, rel.c_str(), 0755) != 0 && errno != EEXIST)
                throw_errno("mkdir " + rel + " in the session's skeleton");
        } else {
            Fd f(::openat(skel, rel.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                          0644));
            if (!f) throw_errno("create " + rel + " in the session's skeleton");
            write_all(f.get(), m.content);
        }
        check(::fchownat(skel, rel.c_str(), owner.st_uid, owner.st_gid, AT_SYMLINK_NOFOLLOW),
              "chown " + rel + " in the session's skeleton");
    }
}

// Copies the entries of `dir` into the skeleton `skel` (except `skip`), and
// returns the names that must become bind mounts of the tools' entries.
std::vector<std::string> copy_entries(int dir, int skel, const std::set<std::string>& skip) {
    std::vector<std::string> to_bind;
    Fd listing(check(::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), "open for readdir"));
    std::unique_ptr<DIR, int (*)(DIR*)> d(::fdopendir(listing.get()), ::closedir);
    if (!d) throw_errno("fdopendir");
    (void)listing.release();
    while (const dirent* e = ::readdir(d.get())) {
        const std::string name = e->d_name;
        if (name == "." || name == ".." || skip.contains(name)) continue;
        struct stat st {};
        if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (S_ISLNK(st.st_mode)) {
            std::array<char, PATH_MAX> target{};
            const ssize_t n = ::readlinkat(dir, name.c_str(), target.data(), target.size() - 1);
            if (n < 0) throw_errno("readlink " + name + " in the tools");
            check(::symlinkat(target.data(), skel, name.c_str()), "symlink " + name);
        } else if (S_ISDIR(st.st_mode)) {
            check(::mkdirat(skel, name.c_str(), 0755), "mkdir " + name);
            to_bind.push_back(name);
        } else {
            Fd f(check(::openat(skel, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644),
                       "create " + name));
            to_bind.push_back(name);
        }
    }
    return to_bind;
}

void make_read_only(int mnt) {
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_RDONLY;
    check(::mount_setattr(mnt, "", AT_EMPTY_PATH, &attr, sizeof(attr)),
          "make the session's skeleton read-only");
}

void build_skeleton(const std::string& parent, const std::vector<Missing>& missing) {
    Fd dir = open_fd(parent, O_RDONLY | O_DIRECTORY);
    struct stat owner {};
    check(::fstat(dir.get(), &owner), "fstat " + parent);
    Fd skel = make_detached_mount("tmpfs", "cntr-skeleton",
                                  "mode=" + octal_mode(owner.st_mode) +
                                      ",uid=" + std::to_string(owner.st_uid) +
                                      ",gid=" + std::to_string(owner.st_gid) + ",size=1m",
                                  MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
    std::set<std::string> replaced;  // absent, or there with the wrong type
    for (const auto& m : missing) replaced.insert(m.parts.front());
    const std::vector<std::string> to_bind = copy_entries(dir.get(), skel.get(), replaced);
    for (const auto& m : missing) create_missing(skel.get(), m, owner);
    make_read_only(skel.get());

    attach_mount(skel.get(), AT_FDCWD, parent);
    if (parent == "/") {
        // A mount on top of our root is not seen through it: enter it, as onto the tools.
        check(::fchdir(skel.get()), "fchdir into the session's skeleton");
        check(::chroot("."), "chroot into the session's skeleton");
        check(::chdir("/"), "chdir /");
    }
    for (const auto& name : to_bind)
        attach_mount(clone_mount_tree(dir.get(), name).get(), skel.get(), name);
    log::debug("{}: the tools lack {} of its entries the session needs; covered by a skeleton",
               parent, missing.size());
}

}  // namespace

void provide_mountpoints(const std::vector<Mountpoint>& wanted) {
    std::map<std::string, std::vector<Missing>> by_parent;
    for (const auto& w : wanted) {
        if (present(w.path, w.directory)) continue;
        const auto parts = components(w.path);
        if (parts.empty()) continue;
        size_t depth = 0;
        const std::string parent = existing_parent(parts, depth);
        by_parent[parent].push_back(
            {{parts.begin() + static_cast<std::ptrdiff_t>(depth), parts.end()},
             w.directory,
             w.content});
    }
    // Shallow parents first: a skeleton of "/" re-binds "/etc" from the tools,
    // which would hide a skeleton already on /etc.
    std::vector<std::string> parents;
    parents.reserve(by_parent.size());
    for (const auto& [parent, missing] : by_parent) parents.push_back(parent);
    std::ranges::stable_sort(parents, {}, [](const std::string& p) {
        return p == "/" ? 0 : std::ranges::count(p, '/');
    });
    for (const auto& parent : parents) build_skeleton(parent, by_parent[parent]);
}

}  // namespace cntr
