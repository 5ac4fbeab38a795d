// CNTRFS conformance: every scenario runs the same syscall sequence twice - once in a
// native directory, once through a CNTRFS mount (standalone mode) of another directory
// of the same file system - and records a transcript: each call's result or errno name,
// file contents, and the metadata that must not depend on where the file lives (mode,
// size, nlink, owner, blocks, rdev, which names share an inode, time relations). The two
// transcripts must be identical. A line that differs is a failing test unless the
// difference is listed under "Known limitations" in docs/cntrfs-performance.md (none
// of the scenarios here is: each one passes on CNTRFS).
//
// Inode numbers, device numbers and absolute times differ between the two trees by
// construction, so they are recorded as relations (same inode as an earlier name; mtime
// changed or not; an explicit timestamp read back).
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <linux/falloc.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cntrfs_fixture.hpp"
#include "fd.hpp"

namespace {

using cntrfs_test::CntrfsFixture;

// ---- the transcript --------------------------------------------------------------------

class Transcript {
  public:
    explicit Transcript(std::string base) : base_(std::move(base)) {}

    [[nodiscard]] std::string path(const std::string& rel) const { return base_ + "/" + rel; }

    // Records "what: ok" / "what: ok <value>" or "what: <ERRNO>" for a syscall result.
    long call(const std::string& what, long result) {
        std::ostringstream line;
        line << what << ": ";
        if (result < 0) {
            line << ::strerrorname_np(errno);
        } else {
            line << "ok " << result;
        }
        lines_.push_back(line.str());
        return result;
    }
    void note(const std::string& what) { lines_.push_back(what); }

    // Mode, type, size, links, owner, blocks, rdev and the inode's identity class.
    void stat(const std::string& rel, bool follow = false) {
        struct stat st {};
        int r = follow ? ::stat(path(rel).c_str(), &st) : ::lstat(path(rel).c_str(), &st);
        if (r != 0) return note("stat " + rel + ": " + ::strerrorname_np(errno));
        std::ostringstream line;
        line << "stat " << rel << ": mode " << std::oct << st.st_mode << std::dec << " size "
             << st.st_size << " nlink " << st.st_nlink << " uid " << st.st_uid << " gid "
             << st.st_gid << " blocks " << st.st_blocks << " rdev " << major(st.st_rdev) << ":"
             << minor(st.st_rdev) << " inode#" << identity(st.st_ino);
        lines_.push_back(line.str());
    }

    // The mode as exec(2) and permission checks see it: statx asking for the mode only
    // is answered from the kernel's cached attributes unless they were invalidated.
    void cached_mode(const std::string& rel) {
        struct statx stx {};
        if (::statx(AT_FDCWD, path(rel).c_str(), AT_SYMLINK_NOFOLLOW, STATX_MODE, &stx) != 0) {
            return note("statx " + rel + ": " + ::strerrorname_np(errno));
        }
        std::ostringstream line;
        line << "cached mode " << rel << ": " << std::oct << stx.stx_mode;
        lines_.push_back(line.str());
    }

    void content(const std::string& rel) {
        cntr::Fd fd(::open(path(rel).c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) return note("content " + rel + ": " + ::strerrorname_np(errno));
        std::string data;
        char buf[65536];
        for (ssize_t n; (n = ::read(fd.get(), buf, sizeof buf)) > 0;) data.append(buf, n);
        std::string shown;
        for (char c : data) shown += c == '\0' ? '@' : c;
        note("content " + rel + ": [" + shown + "]");
    }

    void list(const std::string& rel) {
        std::set<std::string> names;
        DIR* dir = ::opendir(path(rel).c_str());
        if (dir == nullptr) return note("list " + rel + ": " + ::strerrorname_np(errno));
        while (dirent* e = ::readdir(dir)) names.insert(e->d_name);
        ::closedir(dir);
        std::string line = "list " + rel + ":";
        for (const auto& n : names) line += " " + n;
        note(line);
    }

    void append(const std::vector<std::string>& more) {
        lines_.insert(lines_.end(), more.begin(), more.end());
    }
    [[nodiscard]] const std::vector<std::string>& lines() const { return lines_; }

  private:
    // Inode numbers become 1, 2, 3 in order of first appearance.
    int identity(ino_t ino) {
        auto [it, added] = ids_.try_emplace(ino, static_cast<int>(ids_.size()) + 1);
        return it->second;
    }

    std::string base_;
    std::vector<std::string> lines_;
    std::map<ino_t, int> ids_;
};

using Scenario = std::function<void(Transcript&)>;

std::string write_file(Transcript& t, const std::string& rel, const std::string& data,
                       int flags = O_WRONLY | O_CREAT | O_TRUNC, mode_t mode = 0644) {
    cntr::Fd fd(::open(t.path(rel).c_str(), flags | O_CLOEXEC, mode));
    if (!fd) return std::string("open: ") + ::strerrorname_np(errno);
    ssize_t n = ::write(fd.get(), data.data(), data.size());
    return n < 0 ? std::string("write: ") + ::strerrorname_np(errno) : "wrote " + std::to_string(n);
}

// Runs `fn` in a child process with the given ids; its transcript lines come back.
void as_user(Transcript& t, uid_t uid, gid_t gid, const std::function<void(Transcript&)>& fn) {
    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        ::close(p[0]);
        Transcript child(t.path("").substr(0, t.path("").size() - 1));
        if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) ::_exit(3);
        ::umask(022);
        fn(child);
        std::string out;
        for (const auto& l : child.lines()) out += l + "\n";
        (void)!::write(p[1], out.data(), out.size());
        ::_exit(0);
    }
    ::close(p[1]);
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = ::read(p[0], buf, sizeof buf)) > 0;) out.append(buf, n);
    ::close(p[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child failed " << status;
    std::istringstream in(out);
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    t.append(lines);
}

// ---- scenarios -------------------------------------------------------------------------

void rename_flags(Transcript& t) {
    t.note(write_file(t, "a", "A"));
    t.note(write_file(t, "b", "B"));
    t.call("mkdir d", ::mkdir(t.path("d").c_str(), 0755));
    t.call("mkdir e", ::mkdir(t.path("e").c_str(), 0755));
    t.note(write_file(t, "e/x", "X"));
    auto r2 = [&](const char* what, const char* a, const char* b, unsigned flags) {
        t.call(what, ::renameat2(AT_FDCWD, t.path(a).c_str(), AT_FDCWD, t.path(b).c_str(), flags));
    };
    r2("noreplace onto existing", "a", "b", RENAME_NOREPLACE);
    r2("noreplace onto new", "a", "c", RENAME_NOREPLACE);
    r2("exchange", "b", "c", RENAME_EXCHANGE);
    t.content("b");
    t.content("c");
    r2("exchange with missing", "b", "nothing", RENAME_EXCHANGE);
    r2("exchange file and dir", "b", "d", RENAME_EXCHANGE);
    t.stat("b");
    t.stat("d");
    r2("both flags", "b", "c", RENAME_EXCHANGE | RENAME_NOREPLACE);
    r2("dir onto non-empty dir", "b", "e", 0);
    r2("file onto dir", "d", "e", 0);
    r2("dir onto file", "e", "c", 0);
    r2("dir into itself", "e", "e/sub", 0);
    r2("plain replace", "c", "d", 0);
    r2("missing source", "zz", "y", 0);
    t.list("");
}

void open_flags(Transcript& t) {
    t.note(write_file(t, "f", "0123456789"));
    t.call("excl on existing", ::open(t.path("f").c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644));
    t.note(write_file(t, "f", "abc", O_WRONLY | O_APPEND));
    t.content("f");
    {
        // O_APPEND ignores the offset of pwrite? No: Linux appends anyway.
        cntr::Fd fd(::open(t.path("f").c_str(), O_WRONLY | O_APPEND));
        t.call("pwrite with O_APPEND", ::pwrite(fd.get(), "Z", 1, 0));
        t.call("lseek cur after append", ::lseek(fd.get(), 0, SEEK_CUR));
    }
    t.content("f");
    t.note(write_file(t, "f", "new", O_WRONLY | O_TRUNC));
    t.content("f");
    t.stat("f");
    t.call("symlink", ::symlink("f", t.path("l").c_str()));
    t.call("O_NOFOLLOW on symlink", ::open(t.path("l").c_str(), O_RDONLY | O_NOFOLLOW));
    t.call("O_CREAT|O_EXCL on symlink",
           ::open(t.path("l").c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644));
    t.call("O_DIRECTORY on file", ::open(t.path("f").c_str(), O_RDONLY | O_DIRECTORY));
    t.call("write-open a dir", ::open(t.path("").c_str(), O_WRONLY));
    t.call("create in missing dir", ::open(t.path("no/x").c_str(), O_CREAT | O_WRONLY, 0644));
    t.call("O_CREAT with mode 0",
           ::close(static_cast<int>(::open(t.path("m0").c_str(), O_CREAT | O_WRONLY, 0))));
    t.stat("m0");
    t.call("O_TRUNC on read-only open",
           ::close(static_cast<int>(::open(t.path("f").c_str(), O_RDONLY | O_TRUNC))));
    t.stat("f");
    // A symlink followed on create: creates the target.
    t.call("dangling symlink", ::symlink("target", t.path("dl").c_str()));
    t.call("create through dangling symlink",
           ::close(static_cast<int>(::open(t.path("dl").c_str(), O_CREAT | O_WRONLY, 0600))));
    t.stat("target");
}

void direct_io(Transcript& t) {
    // O_DIRECT needs aligned buffers natively (ext4): the same 4 KiB aligned I/O works
    // in both trees.
    cntr::Fd fd(::open(t.path("d").c_str(), O_CREAT | O_RDWR | O_DIRECT, 0644));
    t.call("open O_DIRECT", fd ? 0 : -1);
    if (!fd) return;
    void* mem = nullptr;
    ASSERT_EQ(::posix_memalign(&mem, 4096, 8192), 0);
    std::unique_ptr<char, decltype(&std::free)> buf(static_cast<char*>(mem), &std::free);
    std::memset(buf.get(), 'q', 8192);
    t.call("aligned write", ::pwrite(fd.get(), buf.get(), 8192, 0));
    std::memset(buf.get(), 0, 8192);
    t.call("aligned read", ::pread(fd.get(), buf.get(), 4096, 4096));
    t.note(std::string("read back ") + (buf.get()[4095] == 'q' ? "q" : "?"));
    t.stat("d");
}

void fallocate_and_holes(Transcript& t) {
    cntr::Fd fd(::open(t.path("s").c_str(), O_CREAT | O_RDWR, 0644));
    std::string block(4096, 'x');
    t.call("fallocate 1MiB", ::fallocate(fd.get(), 0, 0, 1 << 20));
    t.stat("s");
    t.call("fallocate keep size", ::fallocate(fd.get(), FALLOC_FL_KEEP_SIZE, 1 << 20, 1 << 20));
    t.stat("s");
    for (int i = 0; i < 256; ++i) ::pwrite(fd.get(), block.data(), block.size(), i * 4096L);
    t.call("punch hole", ::fallocate(fd.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                                     64 * 1024, 128 * 1024));
    t.call("punch without keep size", ::fallocate(fd.get(), FALLOC_FL_PUNCH_HOLE, 0, 4096));
    t.call("zero range", ::fallocate(fd.get(), FALLOC_FL_ZERO_RANGE, 512 * 1024, 4096));
    t.stat("s");
    char c = 0;
    t.call("read in hole", ::pread(fd.get(), &c, 1, 100 * 1024));
    t.note(std::string("hole byte ") + std::to_string(c));
    t.call("SEEK_DATA 0", ::lseek(fd.get(), 0, SEEK_DATA));
    t.call("SEEK_HOLE 0", ::lseek(fd.get(), 0, SEEK_HOLE));
    t.call("SEEK_DATA in hole", ::lseek(fd.get(), 70 * 1024, SEEK_DATA));
    t.call("SEEK_HOLE past EOF", ::lseek(fd.get(), 3 << 20, SEEK_HOLE));
    t.call("SEEK_DATA past EOF", ::lseek(fd.get(), 3 << 20, SEEK_DATA));
    // A sparse file made by seeking past the end.
    cntr::Fd sp(::open(t.path("sparse").c_str(), O_CREAT | O_RDWR, 0644));
    ::pwrite(sp.get(), "end", 3, 1 << 20);
    t.call("sparse SEEK_DATA", ::lseek(sp.get(), 0, SEEK_DATA));
    t.call("sparse SEEK_HOLE", ::lseek(sp.get(), 0, SEEK_HOLE));
    t.stat("sparse");
}

void copy_range(Transcript& t) {
    std::string data;
    for (int i = 0; i < 100000; ++i) data += static_cast<char>('a' + i % 26);
    t.note(write_file(t, "in", data));
    cntr::Fd in(::open(t.path("in").c_str(), O_RDONLY));
    cntr::Fd out(::open(t.path("out").c_str(), O_CREAT | O_RDWR, 0644));
    loff_t off_in = 10, off_out = 5;
    t.call("copy_file_range", ::copy_file_range(in.get(), &off_in, out.get(), &off_out, 70000, 0));
    t.note("offsets " + std::to_string(off_in) + " " + std::to_string(off_out));
    t.call("copy past EOF", ::copy_file_range(in.get(), nullptr, out.get(), nullptr, 10, 0));
    t.call("copy bad flags", ::copy_file_range(in.get(), nullptr, out.get(), nullptr, 10, 1));
    t.stat("out");
    cntr::Fd out2(::open(t.path("out").c_str(), O_RDONLY));
    std::string got(70005, '\0');
    ::pread(out2.get(), got.data(), got.size(), 0);
    t.note(std::string("copied data ") +
           (got.substr(5) == data.substr(10, 70000) && got.substr(0, 5) == std::string(5, '\0')
                ? "matches"
                : "differs"));
}

void xattrs(Transcript& t) {
    t.note(write_file(t, "f", "x"));
    const std::string f = t.path("f");
    for (const char* name : {"user.a", "trusted.b", "security.c"}) {
        t.call(std::string("set ") + name, ::setxattr(f.c_str(), name, "value", 5, 0));
    }
    t.call("create existing", ::setxattr(f.c_str(), "user.a", "v", 1, XATTR_CREATE));
    t.call("replace missing", ::setxattr(f.c_str(), "user.z", "v", 1, XATTR_REPLACE));
    t.call("replace", ::setxattr(f.c_str(), "user.a", "longer value", 12, XATTR_REPLACE));
    t.call("empty value", ::setxattr(f.c_str(), "user.empty", "", 0, 0));
    char buf[256];
    t.call("get size", ::getxattr(f.c_str(), "user.a", nullptr, 0));
    t.call("get small buffer", ::getxattr(f.c_str(), "user.a", buf, 3));
    ssize_t n = t.call("get", ::getxattr(f.c_str(), "user.a", buf, sizeof buf));
    if (n > 0) t.note("value " + std::string(buf, static_cast<size_t>(n)));
    t.call("get missing", ::getxattr(f.c_str(), "user.nope", buf, sizeof buf));
    t.call("get bad namespace", ::getxattr(f.c_str(), "bogus.x", buf, sizeof buf));
    t.call("set bad namespace", ::setxattr(f.c_str(), "bogus.x", "v", 1, 0));
    n = ::listxattr(f.c_str(), buf, sizeof buf);
    std::set<std::string> names;
    for (ssize_t i = 0; i < n; i += static_cast<ssize_t>(std::strlen(buf + i)) + 1) {
        names.insert(buf + i);
    }
    std::string all = "list:";
    for (const auto& name : names) all += " " + name;
    t.note(all);
    t.call("list small buffer", ::listxattr(f.c_str(), buf, 2));
    t.call("remove", ::removexattr(f.c_str(), "trusted.b"));
    t.call("remove missing", ::removexattr(f.c_str(), "trusted.b"));
    // On a symlink: user.* is not allowed there, trusted.* is.
    t.call("symlink", ::symlink("f", t.path("l").c_str()));
    t.call("lset user on symlink", ::lsetxattr(t.path("l").c_str(), "user.a", "v", 1, 0));
    t.call("lset trusted on symlink", ::lsetxattr(t.path("l").c_str(), "trusted.a", "v", 1, 0));
    t.call("lget trusted on symlink", ::lgetxattr(t.path("l").c_str(), "trusted.a", buf, 10));
    // A large value.
    std::string big(60000, 'v');
    t.call("set 60000 bytes", ::setxattr(f.c_str(), "trusted.big", big.data(), big.size(), 0));
    std::string back(65536, '\0');
    t.call("get 60000 bytes", ::getxattr(f.c_str(), "trusted.big", back.data(), back.size()));
}

// The binary format of system.posix_acl_* (linux/posix_acl_xattr.h).
struct AclEntry {
    uint16_t tag;
    uint16_t perm;
    uint32_t id;
};
std::string acl_value(const std::vector<AclEntry>& entries) {
    std::string v(4, '\0');
    uint32_t version = 2;
    std::memcpy(v.data(), &version, 4);
    for (const auto& e : entries) v.append(reinterpret_cast<const char*>(&e), sizeof e);
    return v;
}
constexpr uint16_t kUserObj = 1, kUser = 2, kGroupObj = 4, kMask = 0x10, kOther = 0x20;

std::string acl_text(Transcript& t, const std::string& rel, const char* name) {
    char buf[512];
    ssize_t n = ::getxattr(t.path(rel).c_str(), name, buf, sizeof buf);
    if (n < 0) return ::strerrorname_np(errno);
    std::string out;
    for (ssize_t i = 4; i + 8 <= n; i += 8) {
        AclEntry e{};
        std::memcpy(&e, buf + i, 8);
        out += std::to_string(e.tag) + ":" + std::to_string(e.perm) + ":" +
               (e.tag == kUser ? std::to_string(e.id) : "") + " ";
    }
    return out;
}

void posix_acls(Transcript& t) {
    t.call("mkdir", ::mkdir(t.path("d").c_str(), 0750));
    std::string dflt = acl_value(
        {{kUserObj, 7, 0}, {kUser, 5, 65534}, {kGroupObj, 5, 0}, {kMask, 7, 0}, {kOther, 0, 0}});
    t.call("set default acl", ::setxattr(t.path("d").c_str(), "system.posix_acl_default",
                                         dflt.data(), dflt.size(), 0));
    t.call("set access acl",
           ::setxattr(t.path("d").c_str(), "system.posix_acl_access", dflt.data(), dflt.size(), 0));
    t.stat("d");
    t.note("d default: " + acl_text(t, "d", "system.posix_acl_default"));
    // Inheritance: the umask is ignored, the new file's ACL comes from the default one.
    mode_t old = ::umask(027);
    t.call("create in d",
           ::close(static_cast<int>(::open(t.path("d/f").c_str(), O_CREAT | O_WRONLY, 0666))));
    t.call("mkdir in d", ::mkdir(t.path("d/sub").c_str(), 0777));
    t.call("create outside",
           ::close(static_cast<int>(::open(t.path("plain").c_str(), O_CREAT | O_WRONLY, 0666))));
    ::umask(old);
    t.stat("d/f");
    t.stat("d/sub");
    t.stat("plain");
    t.note("d/f access: " + acl_text(t, "d/f", "system.posix_acl_access"));
    t.note("d/sub default: " + acl_text(t, "d/sub", "system.posix_acl_default"));
    t.note("plain access: " + acl_text(t, "plain", "system.posix_acl_access"));
    // The ACL grants user 65534 read access that the mode bits alone would not.
    ::chmod(t.path("").c_str(), 0755);
    as_user(t, 65534, 65534, [](Transcript& u) {
        u.call("nobody reads d/f via acl", ::open(u.path("d/f").c_str(), O_RDONLY) >= 0 ? 0 : -1);
        u.call("nobody writes d/f", ::open(u.path("d/f").c_str(), O_WRONLY));
        u.call("nobody reads plain", ::open(u.path("plain").c_str(), O_RDONLY) >= 0 ? 0 : -1);
    });
    // chmod updates the ACL mask.
    t.call("chmod d/f 0600", ::chmod(t.path("d/f").c_str(), 0600));
    t.note("d/f access after chmod: " + acl_text(t, "d/f", "system.posix_acl_access"));
    t.call("remove access acl", ::removexattr(t.path("d/f").c_str(), "system.posix_acl_access"));
    t.stat("d/f");
}

void locks(Transcript& t) {
    t.note(write_file(t, "f", "0123456789"));
    cntr::Fd a(::open(t.path("f").c_str(), O_RDWR));
    cntr::Fd b(::open(t.path("f").c_str(), O_RDWR));
    t.call("flock ex a", ::flock(a.get(), LOCK_EX | LOCK_NB));
    t.call("flock ex b", ::flock(b.get(), LOCK_EX | LOCK_NB));
    t.call("flock sh b", ::flock(b.get(), LOCK_SH | LOCK_NB));
    t.call("unlock a", ::flock(a.get(), LOCK_UN));
    t.call("flock sh b again", ::flock(b.get(), LOCK_SH | LOCK_NB));
    t.call("flock sh a", ::flock(a.get(), LOCK_SH | LOCK_NB));
    ::flock(a.get(), LOCK_UN);
    ::flock(b.get(), LOCK_UN);

    // POSIX record locks: held by this process, probed and contested by a child.
    struct flock wr {};
    wr.l_type = F_WRLCK;
    wr.l_whence = SEEK_SET;
    wr.l_start = 2;
    wr.l_len = 4;
    t.call("setlk write 2..5", ::fcntl(a.get(), F_SETLK, &wr));
    int p[2];
    ASSERT_EQ(::pipe(p), 0);
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid == 0) {
        std::string out;
        struct flock q {};
        q.l_type = F_RDLCK;
        q.l_whence = SEEK_SET;
        q.l_start = 0;
        q.l_len = 10;
        int r = ::fcntl(b.get(), F_GETLK, &q);
        out += "getlk " + std::to_string(r) + " type " + std::to_string(q.l_type) + " start " +
               std::to_string(q.l_start) + " len " + std::to_string(q.l_len) + " pid-is-parent " +
               std::to_string(q.l_pid == parent) + "\n";
        struct flock w {};
        w.l_type = F_WRLCK;
        w.l_whence = SEEK_SET;
        w.l_start = 4;
        w.l_len = 1;
        r = ::fcntl(b.get(), F_SETLK, &w);
        out += "child setlk 4: " + std::string(r == 0 ? "ok" : ::strerrorname_np(errno)) + "\n";
        w.l_start = 6;
        r = ::fcntl(b.get(), F_SETLK, &w);
        out += "child setlk 6: " + std::string(r == 0 ? "ok" : ::strerrorname_np(errno)) + "\n";
        // OFD locks conflict with the parent's process lock too.
        struct flock o {};
        o.l_type = F_WRLCK;
        o.l_whence = SEEK_SET;
        o.l_start = 3;
        o.l_len = 1;
        r = ::fcntl(b.get(), F_OFD_SETLK, &o);
        out += "child ofd setlk 3: " + std::string(r == 0 ? "ok" : ::strerrorname_np(errno)) + "\n";
        (void)!::write(p[1], out.data(), out.size());
        ::_exit(0);
    }
    ::close(p[1]);
    char buf[1024];
    ssize_t n = ::read(p[0], buf, sizeof buf);
    ::close(p[0]);
    ::waitpid(pid, nullptr, 0);
    t.note(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0));
    struct flock un {};
    un.l_type = F_UNLCK;
    un.l_whence = SEEK_SET;
    t.call("unlock all", ::fcntl(a.get(), F_SETLK, &un));
    struct flock q {};
    q.l_type = F_WRLCK;
    q.l_whence = SEEK_SET;
    t.call("getlk after unlock", ::fcntl(b.get(), F_GETLK, &q));
    t.note("type " + std::to_string(q.l_type));
}

void special_files(Transcript& t) {
    t.call("mkfifo", ::mkfifo(t.path("fifo").c_str(), 0640));
    t.call("mknod socket", ::mknod(t.path("sock").c_str(), S_IFSOCK | 0600, 0));
    t.call("mknod char 1:3", ::mknod(t.path("null").c_str(), S_IFCHR | 0666, makedev(1, 3)));
    t.call("mknod block 7:0", ::mknod(t.path("loop").c_str(), S_IFBLK | 0600, makedev(7, 0)));
    t.call("mknod regular", ::mknod(t.path("reg").c_str(), S_IFREG | 0600, 0));
    t.call("mknod existing", ::mknod(t.path("reg").c_str(), S_IFREG | 0600, 0));
    for (const char* n : {"fifo", "sock", "null", "loop", "reg"}) t.stat(n);
    // The fifo works: a writer and a reader meet in the kernel.
    cntr::Fd r(::open(t.path("fifo").c_str(), O_RDONLY | O_NONBLOCK));
    cntr::Fd w(::open(t.path("fifo").c_str(), O_WRONLY | O_NONBLOCK));
    t.call("fifo write", ::write(w.get(), "ping", 4));
    char buf[8];
    t.call("fifo read", ::read(r.get(), buf, sizeof buf));
    // The char device opens as the device (the file system is not mounted nodev).
    cntr::Fd dev(::open(t.path("null").c_str(), O_WRONLY));
    t.call("write to device", dev ? ::write(dev.get(), "x", 1) : -1);
    t.call("open socket file", ::open(t.path("sock").c_str(), O_RDONLY));
}

void unix_sockets(Transcript& t) {
    // A server binds and listens under the tree; a client connects by path.
    int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cntr::Fd server(s);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string p = t.path("s.sock");
    ASSERT_LT(p.size(), sizeof addr.sun_path);
    std::strcpy(addr.sun_path, p.c_str());
    t.call("bind", ::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr));
    t.call("listen", ::listen(s, 4));
    t.stat("s.sock");
    cntr::Fd client(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    t.call("connect", ::connect(client.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr));
    cntr::Fd conn(::accept4(s, nullptr, nullptr, SOCK_CLOEXEC));
    t.call("send", ::send(client.get(), "hi", 2, 0));
    char buf[4];
    t.call("recv", ::recv(conn.get(), buf, sizeof buf, 0));
    t.call("bind existing", ::bind(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0),
                                   reinterpret_cast<sockaddr*>(&addr), sizeof addr));
}

void times(Transcript& t) {
    t.note(write_file(t, "f", "x"));
    const std::string f = t.path("f");
    timespec set[2] = {{1000000000, 123456789}, {1100000000, 987654321}};
    t.call("utimensat explicit", ::utimensat(AT_FDCWD, f.c_str(), set, 0));
    struct stat st {};
    ::stat(f.c_str(), &st);
    t.note("atime " + std::to_string(st.st_atim.tv_sec) + "." + std::to_string(st.st_atim.tv_nsec) +
           " mtime " + std::to_string(st.st_mtim.tv_sec) + "." +
           std::to_string(st.st_mtim.tv_nsec));
    timespec omit_now[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
    t.call("utimensat OMIT/NOW", ::utimensat(AT_FDCWD, f.c_str(), omit_now, 0));
    struct stat st2 {};
    ::stat(f.c_str(), &st2);
    t.note("atime kept " +
           std::to_string(st2.st_atim.tv_sec == 1000000000 && st2.st_atim.tv_nsec == 123456789) +
           " mtime now " + std::to_string(st2.st_mtim.tv_sec > 1100000000));
    timespec now_omit[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
    t.call("utimensat NOW/OMIT", ::utimensat(AT_FDCWD, f.c_str(), now_omit, 0));
    struct stat st3 {};
    ::stat(f.c_str(), &st3);
    t.note("mtime kept " +
           std::to_string(st3.st_mtim.tv_sec == st2.st_mtim.tv_sec &&
                          st3.st_mtim.tv_nsec == st2.st_mtim.tv_nsec) +
           " atime now " + std::to_string(st3.st_atim.tv_sec > 1000000000));
    // Symlink times, not the target's.
    t.call("symlink", ::symlink("f", t.path("l").c_str()));
    t.call("lutimes", ::utimensat(AT_FDCWD, t.path("l").c_str(), set, AT_SYMLINK_NOFOLLOW));
    struct stat ls {};
    ::lstat(t.path("l").c_str(), &ls);
    t.note("link mtime " + std::to_string(ls.st_mtim.tv_sec));
    // A write changes mtime and ctime.
    ::utimensat(AT_FDCWD, f.c_str(), set, 0);
    t.note(write_file(t, "f", "y", O_WRONLY));
    struct stat st4 {};
    ::stat(f.c_str(), &st4);
    t.note("write moved mtime " + std::to_string(st4.st_mtim.tv_sec != 1100000000));
    // Someone else's file: only the owner (or root) may set explicit times; NOW needs
    // write access.
    ::chmod(t.path("").c_str(), 0755);
    ::chmod(f.c_str(), 0646);
    as_user(t, 65534, 65534, [&](Transcript& u) {
        u.call("nobody explicit times", ::utimensat(AT_FDCWD, u.path("f").c_str(), set, 0));
        u.call("nobody NOW", ::utimensat(AT_FDCWD, u.path("f").c_str(), nullptr, 0));
        u.call("nobody chmod", ::chmod(u.path("f").c_str(), 0777));
        u.call("nobody truncate", ::truncate(u.path("f").c_str(), 0));
    });
}

void setid_bits(Transcript& t) {
    ::chmod(t.path("").c_str(), 0777);
    t.note(write_file(t, "u", "data"));
    t.note(write_file(t, "g", "data"));
    t.note(write_file(t, "gx", "data"));
    t.call("chown u", ::chown(t.path("u").c_str(), 65534, 65534));
    t.call("chown g", ::chown(t.path("g").c_str(), 65534, 65534));
    t.call("chown gx", ::chown(t.path("gx").c_str(), 65534, 65534));
    t.call("chmod u 04777", ::chmod(t.path("u").c_str(), 04777));
    t.call("chmod g 02767", ::chmod(t.path("g").c_str(), 02767));  // sgid without group x
    t.call("chmod gx 06777", ::chmod(t.path("gx").c_str(), 06777));
    // An unprivileged writer (not the owner, so no CAP_FSETID) clears them.
    as_user(t, 1234, 1234, [](Transcript& u) {
        u.note(write_file(u, "u", "more", O_WRONLY | O_APPEND));
        u.note(write_file(u, "g", "more", O_WRONLY | O_APPEND));
        u.note(write_file(u, "gx", "x", O_WRONLY | O_TRUNC));
        u.call("truncate u", ::truncate(u.path("u").c_str(), 1));
    });
    t.cached_mode("u");
    t.cached_mode("g");
    t.cached_mode("gx");
    t.stat("u");
    t.stat("g");
    t.stat("gx");
    // Root writing keeps them (CAP_FSETID).
    t.call("chmod u 04755", ::chmod(t.path("u").c_str(), 04755));
    t.note(write_file(t, "u", "root", O_WRONLY | O_APPEND));
    t.stat("u");
    // chown clears set-user-id even for root; set-group-id only with group exec.
    t.call("chmod gx 06755", ::chmod(t.path("gx").c_str(), 06755));
    t.call("chown u", ::chown(t.path("u").c_str(), 0, 0));
    t.call("chown gx", ::chown(t.path("gx").c_str(), 0, 0));
    t.stat("u");
    t.stat("gx");
    // Directories keep set-group-id on chown, and files created inside inherit its group.
    t.call("mkdir sg", ::mkdir(t.path("sg").c_str(), 0777));
    t.call("chown sg", ::chown(t.path("sg").c_str(), 0, 4321));
    t.call("chmod sg 02777", ::chmod(t.path("sg").c_str(), 02777));
    t.call("chown sg again", ::chown(t.path("sg").c_str(), 0, 4321));
    t.stat("sg");
    as_user(t, 1234, 1234, [](Transcript& u) {
        u.note(write_file(u, "sg/f", "x"));
        u.call("mkdir sg/d", ::mkdir(u.path("sg/d").c_str(), 0777));
        u.call("nobody chmod g+s on own file not in group", ::chmod(u.path("sg/f").c_str(), 02755));
    });
    t.stat("sg/f");
    t.stat("sg/d");
}

void links_and_nlink(Transcript& t) {
    t.note(write_file(t, "a", "A"));
    t.call("link", ::link(t.path("a").c_str(), t.path("b").c_str()));
    t.call("link existing", ::link(t.path("a").c_str(), t.path("b").c_str()));
    t.call("mkdir d", ::mkdir(t.path("d").c_str(), 0755));
    t.call("link dir", ::link(t.path("d").c_str(), t.path("d2").c_str()));
    t.stat("a");
    t.stat("b");
    t.stat("d");
    t.call("mkdir d/e", ::mkdir(t.path("d/e").c_str(), 0755));
    t.stat("d");
    t.call("unlink a", ::unlink(t.path("a").c_str()));
    t.stat("b");
    t.call("unlink dir", ::unlink(t.path("d").c_str()));
    t.call("rmdir non-empty", ::rmdir(t.path("d").c_str()));
    t.call("rmdir file", ::rmdir(t.path("b").c_str()));
    t.call("rmdir d/e", ::rmdir(t.path("d/e").c_str()));
    t.stat("d");
    // An open, unlinked file stays readable and writable.
    cntr::Fd fd(::open(t.path("b").c_str(), O_RDWR));
    t.call("unlink open file", ::unlink(t.path("b").c_str()));
    t.call("write to unlinked", ::pwrite(fd.get(), "hello", 5, 0));
    char buf[8] = {};
    t.call("read unlinked", ::pread(fd.get(), buf, 5, 0));
    struct stat st {};
    ::fstat(fd.get(), &st);
    t.note("unlinked nlink " + std::to_string(st.st_nlink) + " size " + std::to_string(st.st_size));
    // Long names.
    std::string longname(255, 'n');
    t.note(write_file(t, longname, "x"));
    t.note(write_file(t, longname + "n", "x"));
    t.call("symlink long target", ::symlink(std::string(4000, 't').c_str(), t.path("ls").c_str()));
    char target[5000];
    t.call("readlink", ::readlink(t.path("ls").c_str(), target, sizeof target));
    t.call("readlink small buffer", ::readlink(t.path("ls").c_str(), target, 10));
    t.call("readlink regular file", ::readlink(t.path(longname).c_str(), target, 10));
    t.list("");
}

void truncate_and_sizes(Transcript& t) {
    t.note(write_file(t, "f", "0123456789"));
    t.call("truncate 4", ::truncate(t.path("f").c_str(), 4));
    t.content("f");
    t.call("truncate 8", ::truncate(t.path("f").c_str(), 8));
    t.content("f");
    t.call("truncate negative", ::truncate(t.path("f").c_str(), -1));
    t.call("truncate dir", ::truncate(t.path("").c_str(), 0));
    cntr::Fd ro(::open(t.path("f").c_str(), O_RDONLY));
    t.call("ftruncate read-only fd", ::ftruncate(ro.get(), 0));
    cntr::Fd rw(::open(t.path("f").c_str(), O_RDWR));
    t.call("ftruncate 3", ::ftruncate(rw.get(), 3));
    t.call("pwrite past end", ::pwrite(rw.get(), "E", 1, 6));
    t.content("f");
    t.stat("f");
    t.call("read at EOF", ::pread(rw.get(), nullptr, 0, 100));
    // Write through one fd, read through another (no stale caches).
    cntr::Fd rw2(::open(t.path("f").c_str(), O_RDWR));
    ::pwrite(rw.get(), "ABC", 3, 0);
    char buf[16] = {};
    t.call("read via other fd", ::pread(rw2.get(), buf, sizeof buf, 0));
    t.note(std::string("got ") + std::string(buf, 3));
    t.call("fsync", ::fsync(rw.get()));
    t.call("fdatasync", ::fdatasync(rw.get()));
    cntr::Fd dir(::open(t.path("").c_str(), O_RDONLY | O_DIRECTORY));
    t.call("fsync dir", ::fsync(dir.get()));
    t.call("syncfs", ::syncfs(dir.get()));
}

void permissions(Transcript& t) {
    ::chmod(t.path("").c_str(), 0755);
    t.call("mkdir priv", ::mkdir(t.path("priv").c_str(), 0700));
    t.note(write_file(t, "priv/secret", "s"));
    t.note(write_file(t, "ro", "r", O_WRONLY | O_CREAT | O_TRUNC, 0444));
    t.call("mkdir sticky", ::mkdir(t.path("sticky").c_str(), 01777));
    t.note(write_file(t, "sticky/roots", "r"));
    t.call("mkdir grp", ::mkdir(t.path("grp").c_str(), 0770));
    t.call("chown grp", ::chown(t.path("grp").c_str(), 0, 4321));
    t.call("chmod grp 0770", ::chmod(t.path("grp").c_str(), 0770));
    as_user(t, 65534, 65534, [](Transcript& u) {
        u.call("enter priv", ::open(u.path("priv/secret").c_str(), O_RDONLY));
        u.call("list priv", ::open(u.path("priv").c_str(), O_RDONLY | O_DIRECTORY));
        u.call("write ro", ::open(u.path("ro").c_str(), O_WRONLY));
        u.call("create in 0755 dir", ::open(u.path("new").c_str(), O_CREAT | O_WRONLY, 0644));
        u.call("delete in sticky", ::unlink(u.path("sticky/roots").c_str()));
        u.note(write_file(u, "sticky/mine", "m"));
        u.stat("sticky/mine");
        u.call("delete own in sticky", ::unlink(u.path("sticky/mine").c_str()));
        u.call("access R_OK ro", ::access(u.path("ro").c_str(), R_OK));
        u.call("access W_OK ro", ::access(u.path("ro").c_str(), W_OK));
        u.call("access X_OK ro", ::access(u.path("ro").c_str(), X_OK));
        u.call("chown ro", ::chown(u.path("ro").c_str(), 65534, 65534));
    });
    // Supplementary groups: a member of group 4321 by supplementary group only.
    pid_t pid = ::fork();
    if (pid == 0) {
        gid_t groups[] = {4321};
        if (::setgroups(1, groups) != 0 || ::setgid(1000) != 0 || ::setuid(1000) != 0) {
            ::_exit(3);
        }
        int fd = ::open(t.path("grp/f").c_str(), O_CREAT | O_WRONLY, 0644);
        if (fd < 0) ::_exit(10 + errno % 100);
        if (::mkdir(t.path("grp/d").c_str(), 0755) != 0) ::_exit(110 + errno % 100);
        ::_exit(0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    t.note("create via supplementary group: exit " + std::to_string(WEXITSTATUS(status)));
    t.stat("grp/f");
    t.stat("grp/d");
}

void readdir_offsets(Transcript& t) {
    t.call("mkdir d", ::mkdir(t.path("d").c_str(), 0755));
    for (int i = 0; i < 300; ++i) t.note(write_file(t, "d/keep" + std::to_string(i), ""));
    for (int i = 0; i < 100; ++i) t.note(write_file(t, "d/gone" + std::to_string(i), ""));
    cntr::Fd dir(::open(t.path("d").c_str(), O_RDONLY | O_DIRECTORY));
    std::map<std::string, int> seen;
    std::vector<long> offsets;
    alignas(8) char buf[512];
    int round = 0;
    for (;;) {
        long n = ::syscall(SYS_getdents64, dir.get(), buf, sizeof buf);
        if (n <= 0) break;
        for (long i = 0; i < n;) {
            auto* d = reinterpret_cast<dirent64*>(buf + i);
            ++seen[d->d_name];
            offsets.push_back(d->d_off);
            i += d->d_reclen;
        }
        // Concurrent changes between reads: entries appear and disappear.
        if (round < 100) {
            ::unlink(t.path("d/gone" + std::to_string(round)).c_str());
            (void)write_file(t, "d/new" + std::to_string(round), "");
        }
        ++round;
    }
    int keep_once = 0, duplicates = 0;
    for (const auto& [name, count] : seen) {
        if (name.starts_with("keep") && count == 1) ++keep_once;
        if (count > 1) ++duplicates;
    }
    t.note("kept entries seen exactly once: " + std::to_string(keep_once) +
           ", duplicates: " + std::to_string(duplicates));
    // seekdir to a remembered offset returns the same entry again.
    DIR* d = ::fdopendir(::open(t.path("d").c_str(), O_RDONLY | O_DIRECTORY));
    std::vector<std::pair<long, std::string>> entries;
    while (dirent* e = ::readdir(d)) entries.emplace_back(::telldir(d), e->d_name);
    int matches = 0;
    for (size_t i = 0; i + 1 < entries.size(); i += 37) {
        ::seekdir(d, entries[i].first);
        dirent* e = ::readdir(d);
        if (e != nullptr && entries[i + 1].second == e->d_name) ++matches;
    }
    ::rewinddir(d);
    int count = 0;
    while (::readdir(d) != nullptr) ++count;
    ::closedir(d);
    t.note("seekdir matches " + std::to_string(matches) + ", entries after rewind " +
           std::to_string(count));
}

void mmap_and_exec(Transcript& t) {
    t.call("copy /bin/true", ::system(("cp /bin/true " + t.path("true")).c_str()));
    t.call("exec through the tree", ::system(t.path("true").c_str()));
    t.call("chmod -x", ::chmod(t.path("true").c_str(), 0644));
    int r = ::system((t.path("true") + " 2>/dev/null").c_str());
    t.note("exec without x: " + std::to_string(WEXITSTATUS(r)));
}

void directories(Transcript& t) {
    t.call("mkdir", ::mkdir(t.path("d").c_str(), 0755));
    t.call("mkdir existing", ::mkdir(t.path("d").c_str(), 0755));
    t.call("mkdir with umask-exempt mode", ::mkdir(t.path("m").c_str(), 07777));
    t.stat("m");
    t.call("mkdir under file", ::mkdir(t.path("d/../d/x/y").c_str(), 0755));
    t.note(write_file(t, "file", ""));
    t.call("mkdir under a file", ::mkdir(t.path("file/x").c_str(), 0755));
    t.call("open file as dir path", ::open(t.path("file/").c_str(), O_RDONLY));
    t.call("rename dir into own subdir", ::rename(t.path("d").c_str(), t.path("d/sub").c_str()));
    t.call("rmdir .", ::rmdir(t.path("d/.").c_str()));
    t.call("chdir and relative create", [&] {
        int cwd = ::open(".", O_RDONLY | O_DIRECTORY);
        int r = ::chdir(t.path("d").c_str());
        if (r == 0) r = ::close(static_cast<int>(::open("rel", O_CREAT | O_WRONLY, 0644)));
        ::fchdir(cwd);
        ::close(cwd);
        return r;
    }());
    t.stat("d/rel");
    t.list("d");
    struct stat st {};
    ::stat(t.path("d").c_str(), &st);
    t.note("dir nlink " + std::to_string(st.st_nlink));
}

const std::map<std::string, Scenario>& scenarios() {
    static const std::map<std::string, Scenario> all{
        {"RenameFlags", rename_flags},
        {"OpenFlags", open_flags},
        {"DirectIo", direct_io},
        {"FallocatePunchHoleSeekDataHole", fallocate_and_holes},
        {"CopyFileRange", copy_range},
        {"XattrsAllNamespaces", xattrs},
        {"PosixAclsAndDefaultInheritance", posix_acls},
        {"FlockAndPosixRecordLocks", locks},
        {"MknodFifoSocketDevices", special_files},
        {"UnixSocketsConnect", unix_sockets},
        {"UtimensatNowOmit", times},
        {"SetidBitsClearedOnWriteAndChown", setid_bits},
        {"LinksUnlinkRmdir", links_and_nlink},
        {"TruncateSizesSync", truncate_and_sizes},
        {"PermissionsAndGroups", permissions},
        {"ReaddirStableOffsetsUnderChanges", readdir_offsets},
        {"ExecFromTheTree", mmap_and_exec},
        {"Directories", directories},
    };
    return all;
}

// ---- the comparison --------------------------------------------------------------------

class Conformance : public CntrfsFixture, public ::testing::WithParamInterface<std::string> {
  protected:
    void SetUp() override {
        CntrfsFixture::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        native_ = tmp_.path() + "/native";
        ASSERT_EQ(::mkdir(native_.c_str(), 0755), 0);
    }
    void compare_with_native();
    std::string native_;
};

void Conformance::compare_with_native() {
    const Scenario& scenario = scenarios().at(GetParam());
    // Both runs start in an empty directory of their tree with the same mode and umask.
    ASSERT_EQ(::mkdir((native_ + "/t").c_str(), 0755), 0);
    ASSERT_EQ(::mkdir(in_mnt("t").c_str(), 0755), 0);
    mode_t old = ::umask(022);
    Transcript native(native_ + "/t");
    scenario(native);
    Transcript fuse(in_mnt("t"));
    scenario(fuse);
    ::umask(old);
    ASSERT_FALSE(HasFatalFailure());

    const auto& a = native.lines();
    const auto& b = fuse.lines();
    std::ostringstream diff;
    int differences = 0;
    for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
        std::string na = i < a.size() ? a[i] : "<missing>";
        std::string nb = i < b.size() ? b[i] : "<missing>";
        if (na != nb) {
            ++differences;
            diff << "  native: " << na << "\n  cntrfs: " << nb << "\n";
        }
    }
    EXPECT_EQ(differences, 0) << "transcripts differ (" << a.size() << " lines):\n" << diff.str();
    if (std::getenv("CNTRFS_CONFORMANCE_VERBOSE") != nullptr) {
        for (const auto& l : a) std::cout << "  " << l << "\n";
    }
}

TEST_P(Conformance, SameAsNative) { compare_with_native(); }

// The same with the kernel caching names and attributes for a minute, as in cntr attach
// with read-only tools and the benchmark: whatever the server changes on its own (set-id
// bits after a write) must not leave the kernel with a stale view.
class ConformanceCached : public Conformance {
  protected:
    std::vector<std::string> server_args() override {
        return {"--keep-cache", "--entry-timeout", "60", "--attr-timeout", "60"};
    }
};

TEST_P(ConformanceCached, SameAsNative) { compare_with_native(); }

std::vector<std::string> scenario_names() {
    std::vector<std::string> names;
    for (const auto& [name, fn] : scenarios()) names.push_back(name);
    return names;
}

INSTANTIATE_TEST_SUITE_P(Cntrfs, Conformance, ::testing::ValuesIn(scenario_names()),
                         [](const auto& info) { return info.param; });
INSTANTIATE_TEST_SUITE_P(Cntrfs, ConformanceCached, ::testing::ValuesIn(scenario_names()),
                         [](const auto& info) { return info.param; });

}  // namespace
