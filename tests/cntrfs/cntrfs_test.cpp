// CNTRFS behaviour through real FUSE mounts.
//
// Each test starts the real cntrfs-server binary (standalone: --root TMP/src --mount
// TMP/mnt, or attach mode with a descriptor the test mounted itself), works through the
// mount and checks the result on the backing directory, or the other way round. Needs
// root and /dev/fuse; fails otherwise (never skipped). Everything a test sets up is owned by RAII
// objects (mount, server process, temporary directory), so a failing assertion still
// unmounts, kills and reaps the server and removes the files.
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <linux/fs.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cntrfs_fixture.hpp"
#include "fd.hpp"
#include "fd_passing.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using cntrfs_test::can_mount_fuse;
using cntrfs_test::CntrfsFixture;
using cntrfs_test::eventually;
using cntrfs_test::is_mounted;
using cntrfs_test::MountGuard;
using cntrfs_test::read_all;
using cntrfs_test::Server;
using cntrfs_test::TempDir;

// ---- small helpers -------------------------------------------------------------------

void put(const std::string& path, const std::string& data,
         int flags = O_WRONLY | O_CREAT | O_TRUNC) {
    cntr::Fd fd(::open(path.c_str(), flags | O_CLOEXEC, 0644));
    ASSERT_TRUE(fd) << "open " << path << ": " << std::strerror(errno);
    ASSERT_EQ(::write(fd.get(), data.data(), data.size()), static_cast<ssize_t>(data.size()))
        << "write " << path << ": " << std::strerror(errno);
}

// The whole file (a short name: the assertions below use it a lot).
std::string get(const std::string& path) { return read_all(path); }

// A read-only descriptor of `path`, as the flock tests take them.
cntr::Fd open_read(const std::string& path) {
    return cntr::Fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
}

struct stat lstat_of(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << "lstat " << path << ": " << std::strerror(errno);
    return st;
}

std::set<std::string> list_dir(const std::string& path) {
    std::set<std::string> names;
    DIR* dir = ::opendir(path.c_str());
    EXPECT_NE(dir, nullptr) << "opendir " << path << ": " << std::strerror(errno);
    if (dir == nullptr) return names;
    while (dirent* e = ::readdir(dir)) names.insert(e->d_name);
    ::closedir(dir);
    return names;
}

// ---- the standalone fixture ------------------------------------------------------------

// TMP/src served at TMP/mnt (the shared fixture, see cntrfs_fixture.hpp).
class CntrfsMount : public CntrfsFixture {};

TEST_F(CntrfsMount, WritesThroughTheMountLandInTheBackingFileAndBack) {
    put(in_mnt("a.txt"), "hello from the mount\n");
    EXPECT_EQ(get(in_src("a.txt")), "hello from the mount\n");
    put(in_src("b.txt"), "hello from the backing dir\n");
    EXPECT_EQ(get(in_mnt("b.txt")), "hello from the backing dir\n");
    EXPECT_EQ(lstat_of(in_mnt("a.txt")).st_size, 21);
}

TEST_F(CntrfsMount, AppendWritesAtTheEndEvenWhenTheFileGrewBehindTheMount) {
    put(in_mnt("log"), "one\n");
    put(in_mnt("log"), "two\n", O_WRONLY | O_APPEND);
    put(in_src("log"), "three\n", O_WRONLY | O_APPEND);  // behind the mount's back
    put(in_mnt("log"), "four\n", O_WRONLY | O_APPEND);
    EXPECT_EQ(get(in_src("log")), "one\ntwo\nthree\nfour\n");
}

TEST_F(CntrfsMount, TruncateShrinksAndExtends) {
    put(in_mnt("t"), "0123456789");
    ASSERT_EQ(::truncate(in_mnt("t").c_str(), 4), 0) << std::strerror(errno);
    EXPECT_EQ(get(in_src("t")), "0123");
    {
        cntr::Fd fd(::open(in_mnt("t").c_str(), O_RDWR | O_CLOEXEC));
        ASSERT_TRUE(fd);
        ASSERT_EQ(::ftruncate(fd.get(), 8), 0) << std::strerror(errno);
    }
    EXPECT_EQ(get(in_src("t")), std::string("0123\0\0\0\0", 8));
    put(in_mnt("t"), "x", O_WRONLY | O_TRUNC);  // O_TRUNC on open
    EXPECT_EQ(get(in_src("t")), "x");
}

TEST_F(CntrfsMount, MkdirListingAndRmdir) {
    ASSERT_EQ(::mkdir(in_mnt("dir").c_str(), 0750), 0) << std::strerror(errno);
    EXPECT_TRUE(S_ISDIR(lstat_of(in_src("dir")).st_mode));
    EXPECT_EQ(lstat_of(in_src("dir")).st_mode & 07777, 0750U);
    for (int i = 0; i < 300; ++i) put(in_src("dir/f" + std::to_string(i)), "x");
    EXPECT_EQ(list_dir(in_mnt("dir")), list_dir(in_src("dir")));
    EXPECT_EQ(list_dir(in_mnt("dir")).size(), 302U);  // with . and ..

    EXPECT_EQ(::rmdir(in_mnt("dir").c_str()), -1);
    EXPECT_EQ(errno, ENOTEMPTY);
    for (int i = 0; i < 300; ++i)
        ASSERT_EQ(::unlink(in_mnt("dir/f" + std::to_string(i)).c_str()), 0);
    ASSERT_EQ(::rmdir(in_mnt("dir").c_str()), 0) << std::strerror(errno);
    EXPECT_FALSE(fs::exists(in_src("dir")));
}

TEST_F(CntrfsMount, MissingNamesAreENOENT) {
    struct stat st {};
    EXPECT_EQ(::stat(in_mnt("nope").c_str(), &st), -1);
    EXPECT_EQ(errno, ENOENT);
    put(in_src("nope"), "now it exists");  // the negative entry expires (1 s default)
    EXPECT_TRUE(eventually([&] { return ::stat(in_mnt("nope").c_str(), &st) == 0; }, 3s));
}

TEST_F(CntrfsMount, SymlinksAreCreatedAndReadNotFollowedOnTheHost) {
    ASSERT_EQ(::symlink("target/elsewhere", in_mnt("link").c_str()), 0) << std::strerror(errno);
    EXPECT_TRUE(S_ISLNK(lstat_of(in_src("link")).st_mode));
    std::array<char, 256> buf{};
    ssize_t n = ::readlink(in_mnt("link").c_str(), buf.data(), buf.size());
    ASSERT_GT(n, 0) << std::strerror(errno);
    EXPECT_EQ(std::string(buf.data(), static_cast<size_t>(n)), "target/elsewhere");
    // An absolute link made in the backing dir is shown as a link, not resolved by the
    // server on the host.
    ASSERT_EQ(::symlink("/etc/hostname", in_src("abs").c_str()), 0);
    EXPECT_TRUE(S_ISLNK(lstat_of(in_mnt("abs")).st_mode));
}

TEST_F(CntrfsMount, HardLinksShareOneInode) {
    put(in_mnt("first"), "shared");
    ASSERT_EQ(::link(in_mnt("first").c_str(), in_mnt("second").c_str()), 0) << std::strerror(errno);
    struct stat a = lstat_of(in_mnt("first"));
    struct stat b = lstat_of(in_mnt("second"));
    EXPECT_EQ(a.st_ino, b.st_ino);
    EXPECT_EQ(a.st_nlink, 2U);
    EXPECT_EQ(a.st_ino, lstat_of(in_src("first")).st_ino);  // the root's device keeps numbers
    EXPECT_EQ(lstat_of(in_src("second")).st_nlink, 2U);
    put(in_mnt("second"), "changed", O_WRONLY | O_TRUNC);
    EXPECT_EQ(get(in_mnt("first")), "changed");
}

TEST_F(CntrfsMount, RenameHonoursNoreplaceAndExchange) {
    put(in_mnt("a"), "A");
    put(in_mnt("b"), "B");
    ASSERT_EQ(::rename(in_mnt("a").c_str(), in_mnt("c").c_str()), 0) << std::strerror(errno);
    EXPECT_FALSE(fs::exists(in_src("a")));
    EXPECT_EQ(get(in_src("c")), "A");

    EXPECT_EQ(
        ::renameat2(AT_FDCWD, in_mnt("c").c_str(), AT_FDCWD, in_mnt("b").c_str(), RENAME_NOREPLACE),
        -1);
    EXPECT_EQ(errno, EEXIST);
    EXPECT_EQ(get(in_src("b")), "B");

    ASSERT_EQ(
        ::renameat2(AT_FDCWD, in_mnt("c").c_str(), AT_FDCWD, in_mnt("b").c_str(), RENAME_EXCHANGE),
        0)
        << std::strerror(errno);
    EXPECT_EQ(get(in_src("b")), "A");
    EXPECT_EQ(get(in_src("c")), "B");

    ASSERT_EQ(::mkdir(in_mnt("d").c_str(), 0755), 0);
    ASSERT_EQ(::rename(in_mnt("c").c_str(), in_mnt("d/c").c_str()), 0) << std::strerror(errno);
    EXPECT_EQ(get(in_src("d/c")), "B");
}

TEST_F(CntrfsMount, ChmodChownAndTimesReachTheBackingFile) {
    put(in_mnt("f"), "x");
    ASSERT_EQ(::chmod(in_mnt("f").c_str(), 04640), 0) << std::strerror(errno);
    EXPECT_EQ(lstat_of(in_src("f")).st_mode & 07777, 04640U);
    ASSERT_EQ(::chown(in_mnt("f").c_str(), 1234, 5678), 0) << std::strerror(errno);
    EXPECT_EQ(lstat_of(in_src("f")).st_uid, 1234U);
    EXPECT_EQ(lstat_of(in_src("f")).st_gid, 5678U);
    ASSERT_EQ(::lchown(in_mnt("f").c_str(), static_cast<uid_t>(-1), 42), 0);
    EXPECT_EQ(lstat_of(in_src("f")).st_uid, 1234U);
    EXPECT_EQ(lstat_of(in_src("f")).st_gid, 42U);

    std::array<timespec, 2> times{timespec{1000000000, 111}, timespec{1200000000, 222}};
    ASSERT_EQ(::utimensat(AT_FDCWD, in_mnt("f").c_str(), times.data(), 0), 0)
        << std::strerror(errno);
    EXPECT_EQ(lstat_of(in_src("f")).st_atim.tv_sec, 1000000000);
    EXPECT_EQ(lstat_of(in_src("f")).st_atim.tv_nsec, 111);
    EXPECT_EQ(lstat_of(in_src("f")).st_mtim.tv_sec, 1200000000);
    EXPECT_EQ(lstat_of(in_src("f")).st_mtim.tv_nsec, 222);

    // UTIME_OMIT keeps atime, UTIME_NOW sets mtime to now.
    times = {timespec{0, UTIME_OMIT}, timespec{0, UTIME_NOW}};
    ASSERT_EQ(::utimensat(AT_FDCWD, in_mnt("f").c_str(), times.data(), 0), 0);
    EXPECT_EQ(lstat_of(in_src("f")).st_atim.tv_sec, 1000000000);
    EXPECT_GT(lstat_of(in_src("f")).st_mtim.tv_sec, ::time(nullptr) - 60);

    // Times of a symlink itself.
    ASSERT_EQ(::symlink("f", in_mnt("l").c_str()), 0);
    times = {timespec{5, 0}, timespec{7, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, in_mnt("l").c_str(), times.data(), AT_SYMLINK_NOFOLLOW), 0)
        << std::strerror(errno);
    EXPECT_EQ(lstat_of(in_src("l")).st_mtim.tv_sec, 7);
    EXPECT_EQ(lstat_of(in_src("f")).st_atim.tv_sec, 1000000000);
}

TEST_F(CntrfsMount, UserXattrsAreSetListedAndRemoved) {
    put(in_mnt("f"), "x");
    const std::string file = in_mnt("f");
    if (::setxattr(in_src("f").c_str(), "user.probe", "1", 1, 0) != 0 && errno == EOPNOTSUPP) {
        GTEST_FAIL() << "the backing file system has no user xattrs";
    }
    ASSERT_EQ(::setxattr(file.c_str(), "user.cntr", "value", 5, XATTR_CREATE), 0)
        << std::strerror(errno);
    std::array<char, 64> buf{};
    ssize_t n = ::getxattr(in_src("f").c_str(), "user.cntr", buf.data(), buf.size());
    ASSERT_EQ(n, 5);
    EXPECT_EQ(std::string(buf.data(), 5), "value");
    EXPECT_EQ(::getxattr(file.c_str(), "user.cntr", nullptr, 0), 5);  // size query
    n = ::getxattr(file.c_str(), "user.cntr", buf.data(), buf.size());
    EXPECT_EQ(std::string(buf.data(), static_cast<size_t>(n)), "value");
    EXPECT_EQ(::setxattr(file.c_str(), "user.cntr", "v", 1, XATTR_CREATE), -1);
    EXPECT_EQ(errno, EEXIST);

    std::array<char, 256> names{};
    n = ::listxattr(file.c_str(), names.data(), names.size());
    ASSERT_GT(n, 0) << std::strerror(errno);
    std::set<std::string> listed;
    for (const char* p = names.data(); p < names.data() + n; p += std::strlen(p) + 1) {
        listed.insert(p);
    }
    EXPECT_TRUE(listed.contains("user.cntr"));
    EXPECT_TRUE(listed.contains("user.probe"));

    ASSERT_EQ(::removexattr(file.c_str(), "user.cntr"), 0) << std::strerror(errno);
    EXPECT_EQ(::getxattr(in_src("f").c_str(), "user.cntr", nullptr, 0), -1);
    EXPECT_EQ(errno, ENODATA);
}

TEST_F(CntrfsMount, StatfsReportsTheBackingFileSystem) {
    struct statvfs via_mount {
    }, backing{};
    ASSERT_EQ(::statvfs(mnt_.c_str(), &via_mount), 0) << std::strerror(errno);
    ASSERT_EQ(::statvfs(src_.c_str(), &backing), 0);
    EXPECT_EQ(via_mount.f_blocks, backing.f_blocks);
    EXPECT_EQ(via_mount.f_files, backing.f_files);
    EXPECT_EQ(via_mount.f_namemax, backing.f_namemax);
}

TEST_F(CntrfsMount, MknodCreatesAFifo) {
    ASSERT_EQ(::mkfifo(in_mnt("fifo").c_str(), 0600), 0) << std::strerror(errno);
    struct stat st = lstat_of(in_src("fifo"));
    EXPECT_TRUE(S_ISFIFO(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0600U);
    EXPECT_TRUE(S_ISFIFO(lstat_of(in_mnt("fifo")).st_mode));
}

TEST_F(CntrfsMount, LargeFilesArriveByteExact) {
    std::string data(24 * 1024 * 1024 + 123, '\0');
    std::mt19937_64 rng(42);
    for (size_t i = 0; i + 8 <= data.size(); i += 8) {
        uint64_t v = rng();
        std::memcpy(data.data() + i, &v, 8);
    }
    put(in_mnt("big"), data);
    EXPECT_TRUE(get(in_src("big")) == data) << "written through the mount";
    EXPECT_TRUE(get(in_mnt("big")) == data) << "read back through the mount";
    // A copy from one mounted file to another (copy_file_range, or the kernel's fallback).
    std::error_code ec;
    fs::copy_file(in_mnt("big"), in_mnt("copy"), ec);
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_TRUE(get(in_src("copy")) == data) << "copied inside the mount";
}

TEST_F(CntrfsMount, FilesCreatedByAnUnprivilegedUserBelongToIt) {
    ASSERT_EQ(::mkdir(in_src("shared").c_str(), 0777), 0);
    ASSERT_EQ(::chmod(in_src("shared").c_str(), 01777), 0);
    put(in_src("shared/root-owned"), "mine");
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        if (::setgroups(0, nullptr) != 0 || ::setresgid(1000, 1000, 1000) != 0 ||
            ::setresuid(1000, 1000, 1000) != 0) {
            ::_exit(10);
        }
        int fd = ::open(in_mnt("shared/file").c_str(), O_WRONLY | O_CREAT | O_EXCL, 0640);
        if (fd < 0) ::_exit(11);
        ::close(fd);
        if (::mkdir(in_mnt("shared/dir").c_str(), 0700) != 0) ::_exit(12);
        if (::symlink("file", in_mnt("shared/link").c_str()) != 0) ::_exit(13);
        if (::mkfifo(in_mnt("shared/fifo").c_str(), 0600) != 0) ::_exit(14);
        // Someone else's file in a sticky directory stays protected.
        if (::unlink(in_mnt("shared/root-owned").c_str()) == 0 || errno != EPERM) ::_exit(15);
        ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0) << "step that failed in the child: " << WEXITSTATUS(status);
    for (const char* name : {"shared/file", "shared/dir", "shared/link", "shared/fifo"}) {
        struct stat st = lstat_of(in_src(name));
        EXPECT_EQ(st.st_uid, 1000U) << name;
        EXPECT_EQ(st.st_gid, 1000U) << name;
    }
    EXPECT_EQ(lstat_of(in_src("shared/file")).st_mode & 07777, 0640U);
    // The server's own threads went back to root: root creates root-owned files.
    put(in_mnt("shared/by-root"), "x");
    EXPECT_EQ(lstat_of(in_src("shared/by-root")).st_uid, 0U);
}

TEST_F(CntrfsMount, FlockConflictsBetweenOpenFiles) {
    put(in_mnt("lock"), "x");
    cntr::Fd a = open_read(in_mnt("lock"));
    cntr::Fd b = open_read(in_mnt("lock"));
    ASSERT_TRUE(a && b);
    ASSERT_EQ(::flock(a.get(), LOCK_EX | LOCK_NB), 0) << std::strerror(errno);
    EXPECT_EQ(::flock(b.get(), LOCK_EX | LOCK_NB), -1);
    EXPECT_EQ(errno, EWOULDBLOCK);
    // A host process using the backing file sees the lock too.
    cntr::Fd host = open_read(in_src("lock"));
    EXPECT_EQ(::flock(host.get(), LOCK_EX | LOCK_NB), -1);
    ASSERT_EQ(::flock(a.get(), LOCK_UN), 0);
    EXPECT_EQ(::flock(b.get(), LOCK_EX | LOCK_NB), 0) << std::strerror(errno);
}

TEST_F(CntrfsMount, ClosingAFileDropsItsFlockWhileTheFileIsStillOpenElsewhere) {
    // With passthrough the kernel keeps one registered backing file per inode while any
    // open uses it: if that were the first opener's handle, its lock would outlive it.
    put(in_mnt("lock"), "x");
    cntr::Fd a = open_read(in_mnt("lock"));
    cntr::Fd b = open_read(in_mnt("lock"));
    ASSERT_TRUE(a && b);
    ASSERT_EQ(::flock(a.get(), LOCK_EX | LOCK_NB), 0) << std::strerror(errno);
    a.reset();
    // The unlock comes with the RELEASE, which the kernel sends after close(2) returned.
    EXPECT_TRUE(eventually([&] { return ::flock(b.get(), LOCK_EX | LOCK_NB) == 0; }, 5s))
        << std::strerror(errno);
}

TEST_F(CntrfsMount, AWaitingFlockIsGrantedWhenTheHolderExits) {
    put(in_mnt("lock"), "x");
    auto stop_server = [this] { server_->stop(); };
    cntrfs_test::LockHolder holder(in_mnt("lock"), -1, stop_server);
    ASSERT_TRUE(holder.wait_held());
    cntrfs_test::Child waiter(cntrfs_test::lock_waiter(in_mnt("lock")), -1, stop_server);
    EXPECT_FALSE(waiter.wait_exit(300ms)) << "got a lock that another process holds";
    holder.release();
    EXPECT_EQ(holder.wait_exit(5s), 0);
    EXPECT_EQ(waiter.wait_exit(5s), 0) << "the lock was not granted after its holder exited";
}

TEST_F(CntrfsMount, AProcessWaitingForAFlockCanBeKilled) {
    // The kernel waits for the server's answer even after SIGKILL; it sends
    // FUSE_INTERRUPT, and the server must give up the wait.
    put(in_mnt("lock"), "x");
    auto stop_server = [this] { server_->stop(); };
    cntrfs_test::LockHolder holder(in_mnt("lock"), -1, stop_server);
    ASSERT_TRUE(holder.wait_held());
    cntrfs_test::Child waiter(cntrfs_test::lock_waiter(in_mnt("lock")), -1, stop_server);
    EXPECT_FALSE(waiter.wait_exit(300ms));
    ::kill(waiter.pid(), SIGKILL);
    EXPECT_EQ(waiter.wait_exit(5s), 128 + SIGKILL) << "killed while waiting, still not gone";
    holder.release();
    EXPECT_EQ(holder.wait_exit(5s), 0);
    // The lock is free: the interrupted wait did not take it behind everyone's back.
    cntr::Fd fd = open_read(in_mnt("lock"));
    EXPECT_TRUE(eventually([&] { return ::flock(fd.get(), LOCK_EX | LOCK_NB) == 0; }, 5s));
}

TEST_F(CntrfsMount, ASignalDuringAFlockWaitActsAsNatively) {
    // The server answers an interrupted wait with EINTR; the kernel restarts lock calls
    // under an SA_RESTART handler and returns EINTR otherwise - as natively.
    put(in_mnt("lock"), "x");
    auto stop_server = [this] { server_->stop(); };
    cntrfs_test::LockHolder holder(in_mnt("lock"), -1, stop_server);
    ASSERT_TRUE(holder.wait_held());
    cntr::Fd fd = open_read(in_mnt("lock"));
    ASSERT_TRUE(fd);
    // The helper thread must not take the SIGALRMs meant for this one: it starts with
    // SIGALRM blocked.
    sigset_t alrm;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &alrm, nullptr), 0);
    std::atomic<bool> second_wait{false};
    std::atomic<bool> done{false};
    std::thread releaser([&] {
        // Lets go 1 s into the second wait - or at 6 s whatever happened.
        auto wait_for = [](const std::atomic<bool>& flag, auto timeout) {
            auto deadline = std::chrono::steady_clock::now() + timeout;
            while (!flag && std::chrono::steady_clock::now() < deadline) {
                std::this_thread::sleep_for(20ms);
            }
        };
        wait_for(second_wait, 6s);
        if (second_wait) std::this_thread::sleep_for(1s);
        holder.release();
        // A wait that outlives the holder (a lock that was not dropped) would hang the
        // test: the server's end breaks it.
        wait_for(done, 10s);
        if (!done) server_->stop();
    });
    ASSERT_EQ(::pthread_sigmask(SIG_UNBLOCK, &alrm, nullptr), 0);
    struct sigaction sa {};
    struct sigaction old {};
    sa.sa_handler = [](int) {};
    sigemptyset(&sa.sa_mask);
    ASSERT_EQ(::sigaction(SIGALRM, &sa, &old), 0);
    itimerval in_200ms{};
    in_200ms.it_value.tv_usec = 200000;
    ::setitimer(ITIMER_REAL, &in_200ms, nullptr);
    int first = ::flock(fd.get(), LOCK_EX);
    int first_errno = errno;
    sa.sa_flags = SA_RESTART;
    ::sigaction(SIGALRM, &sa, nullptr);
    ::setitimer(ITIMER_REAL, &in_200ms, nullptr);
    second_wait = true;
    int second = ::flock(fd.get(), LOCK_EX);
    int second_errno = errno;
    done = true;
    releaser.join();
    ::sigaction(SIGALRM, &old, nullptr);
    EXPECT_EQ(first, -1) << "the lock was granted while another process held it";
    EXPECT_EQ(first_errno, EINTR) << std::strerror(first_errno);
    EXPECT_EQ(second, 0) << "SA_RESTART: the wait must go on until the lock is free: "
                         << std::strerror(second_errno);
    EXPECT_EQ(holder.wait_exit(5s), 0);
}

TEST_F(CntrfsMount, ConcurrentClientsSeeTheirOwnFiles) {
    constexpr int kThreads = 8;
    constexpr int kRounds = 150;
    std::vector<std::thread> threads;
    threads.reserve(kThreads);
    std::vector<std::string> errors(kThreads);
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kRounds && errors[t].empty(); ++i) {
                std::string name = in_mnt("t" + std::to_string(t) + "-" + std::to_string(i));
                std::string data = name + " payload";
                cntr::Fd fd(::open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
                if (!fd || ::pwrite(fd.get(), data.data(), data.size(), 0) !=
                               static_cast<ssize_t>(data.size())) {
                    errors[t] = "create/write " + name + ": " + std::strerror(errno);
                    break;
                }
                std::string back(data.size(), '\0');
                if (::pread(fd.get(), back.data(), back.size(), 0) !=
                        static_cast<ssize_t>(back.size()) ||
                    back != data) {
                    errors[t] = "read back " + name;
                    break;
                }
                if (::link(name.c_str(), (name + ".l").c_str()) != 0 ||
                    ::unlink(name.c_str()) != 0 || ::unlink((name + ".l").c_str()) != 0) {
                    errors[t] = "link/unlink " + name + ": " + std::strerror(errno);
                    break;
                }
                if (i % 10 == 0) list_dir(mnt_);  // readdirplus racing with the others
            }
        });
    }
    for (auto& th : threads) th.join();
    for (const auto& e : errors) EXPECT_EQ(e, "");
    EXPECT_EQ(list_dir(mnt_).size(), 2U);  // . and ..
}

TEST_F(CntrfsMount, ForgottenInodesGiveTheirDescriptorsBack) {
    auto server_fds = [&] {
        std::error_code ec;
        auto it = fs::directory_iterator("/proc/" + std::to_string(server_->pid()) + "/fd", ec);
        return ec ? 0 : std::distance(it, fs::directory_iterator{});
    };
    for (int i = 0; i < 500; ++i) put(in_mnt("f" + std::to_string(i)), "x");
    EXPECT_GE(server_fds(), 500);  // one O_PATH descriptor per inode the kernel knows
    for (int i = 0; i < 500; ++i) ASSERT_EQ(::unlink(in_mnt("f" + std::to_string(i)).c_str()), 0);
    // Unlinked inodes are evicted and FORGET (batched) reaches the server.
    EXPECT_TRUE(eventually([&] { return server_fds() < 100; }, 10s)) << server_fds();
}

TEST_F(CntrfsMount, ServerExitsAndNothingStaysMountedAfterUmount) {
    ASSERT_EQ(::umount2(mnt_.c_str(), 0), 0) << std::strerror(errno);
    std::optional<int> status = server_->wait_exit(10s);
    ASSERT_TRUE(status.has_value()) << "the server still runs after umount";
    EXPECT_EQ(*status, 0);
    EXPECT_FALSE(is_mounted(mnt_));
}

TEST_F(CntrfsMount, SigtermUnmountsAndExitsZero) {
    server_->stop();  // SIGTERM, SIGKILL only if that did not work within 5 s
    std::optional<int> status = server_->wait_exit(0ms);
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(*status, 0);
    EXPECT_TRUE(eventually([&] { return !is_mounted(mnt_); }, 5s));
}

// ---- other roots and modes -------------------------------------------------------------

class CntrfsRoot : public CntrfsMount {
  protected:
    void SetUp() override {
        if (!can_mount_fuse()) GTEST_FAIL() << "needs root and /dev/fuse (run the suite as root)";
        ASSERT_EQ(::mkdir(src_.c_str(), 0755), 0);
        ASSERT_EQ(::mkdir(mnt_.c_str(), 0755), 0);
    }
};

TEST_F(CntrfsRoot, ReadOnlyRootRefusesChanges) {
    put(in_src("f"), "data");
    start_server({"--read-only"});
    EXPECT_EQ(get(in_mnt("f")), "data");
    EXPECT_EQ(::open(in_mnt("f").c_str(), O_WRONLY | O_CLOEXEC), -1);
    EXPECT_EQ(errno, EROFS);
    EXPECT_EQ(::mkdir(in_mnt("d").c_str(), 0755), -1);
    EXPECT_EQ(errno, EROFS);
}

TEST_F(CntrfsRoot, ProcListsAndSelfPointsToTheCaller) {
    src_ = "/proc";
    start_server({});
    std::set<std::string> names = list_dir(mnt_);
    EXPECT_TRUE(names.contains("self"));
    EXPECT_TRUE(names.contains("1"));
    EXPECT_TRUE(names.contains(std::to_string(::getpid())));
    std::array<char, 64> buf{};
    ssize_t n = ::readlink(in_mnt("self").c_str(), buf.data(), buf.size());
    ASSERT_GT(n, 0) << std::strerror(errno);
    EXPECT_EQ(std::string(buf.data(), static_cast<size_t>(n)), std::to_string(::getpid()));
    // Generated files are read in full although they report size 0.
    std::string status = get(in_mnt("self/status"));
    EXPECT_NE(status.find("Tgid:\t" + std::to_string(::getpid())), std::string::npos) << status;
    EXPECT_EQ(lstat_of(in_mnt("self/status")).st_size, 0);
}

TEST_F(CntrfsRoot, ItsOwnMountInsideTheRootIsNotEntered) {
    // Serving TMP with the mount at TMP/mnt: through the mount, mnt/mnt is the mount
    // itself; entering it would make the server send requests to itself.
    src_ = tmp_.path();
    start_server({});
    EXPECT_TRUE(list_dir(mnt_).contains("src"));
    struct stat st {};
    EXPECT_EQ(::stat(in_mnt("mnt").c_str(), &st), -1);
    EXPECT_EQ(errno, ELOOP);
    EXPECT_TRUE(list_dir(mnt_).contains("mnt"));  // still listed
}

TEST(CntrfsServer, MissingRootIsReportedWithItsName) {
    TempDir tmp;
    Server server({"--root", "/nonexistent-cntrfs-root", "--mount", tmp.path()},
                  tmp.path() + "/log");
    std::optional<int> status = server.wait_exit(10s);
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(*status, 1);
    EXPECT_NE(server.log().find("--root /nonexistent-cntrfs-root: No such file or directory"),
              std::string::npos)
        << server.log();
}

// Attach mode as cntr drives it: the test mounts /dev/fuse itself and hands the
// descriptor over the socket.
class CntrfsAttach : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!can_mount_fuse()) GTEST_FAIL() << "needs root and /dev/fuse (run the suite as root)";
        ASSERT_EQ(::mkdir(src_.c_str(), 0755), 0);
        ASSERT_EQ(::mkdir(mnt_.c_str(), 0755), 0);
    }
    std::unique_ptr<Server> start(int server_end) {
        return std::make_unique<Server>(
            std::vector<std::string>{"--root", src_, "--socket-fd", std::to_string(server_end)},
            tmp_.path() + "/server.log", server_end);
    }

    TempDir tmp_;
    std::string src_ = tmp_.path() + "/src";
    std::string mnt_ = tmp_.path() + "/mnt";
    MountGuard mount_guard_{mnt_};
};

TEST_F(CntrfsAttach, ServesAMountedDescriptorAndExitsWhenTheMountIsGone) {
    put(src_ + "/hello", "from the root\n");
    cntr::Fd fuse(::open("/dev/fuse", O_RDWR | O_CLOEXEC));
    ASSERT_TRUE(fuse) << std::strerror(errno);
    std::string opts = "fd=" + std::to_string(fuse.get()) +
                       ",rootmode=40000,user_id=0,group_id=0,allow_other,default_permissions";
    ASSERT_EQ(::mount("cntrfs", mnt_.c_str(), "fuse.cntrfs", MS_NOSUID | MS_NODEV, opts.c_str()), 0)
        << std::strerror(errno);

    auto [ours, theirs] = cntr::seqpacket_pair();
    auto server = start(theirs.get());
    theirs.reset();
    int fd = fuse.get();
    cntr::send_message(ours.get(), "fuse", std::span<const int>(&fd, 1));
    fuse.reset();
    cntr::Message reply = cntr::recv_message(ours.get());
    ASSERT_FALSE(reply.eof) << server->log();
    ASSERT_EQ(reply.data, "ready") << server->log();

    EXPECT_EQ(get(mnt_ + "/hello"), "from the root\n");
    put(mnt_ + "/written", "through the handed-over descriptor");
    EXPECT_EQ(get(src_ + "/written"), "through the handed-over descriptor");
    // The server closed its end after "ready".
    EXPECT_TRUE(cntr::recv_message(ours.get()).eof);

    ASSERT_EQ(::umount2(mnt_.c_str(), 0), 0) << std::strerror(errno);
    std::optional<int> status = server->wait_exit(10s);
    ASSERT_TRUE(status.has_value()) << "the server still runs after the last umount";
    EXPECT_EQ(*status, 0) << server->log();
}

TEST_F(CntrfsAttach, EofBeforeTheDescriptorExitsOne) {
    auto [ours, theirs] = cntr::seqpacket_pair();
    auto server = start(theirs.get());
    theirs.reset();
    ours.reset();
    std::optional<int> status = server->wait_exit(10s);
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(*status, 1);
    EXPECT_NE(server->log().find("closed before the FUSE descriptor arrived"), std::string::npos)
        << server->log();
}

TEST_F(CntrfsAttach, AWrongMessageIsAnsweredWithAnError) {
    auto [ours, theirs] = cntr::seqpacket_pair();
    auto server = start(theirs.get());
    theirs.reset();
    cntr::send_message(ours.get(), "hello");
    cntr::Message reply = cntr::recv_message(ours.get());
    EXPECT_TRUE(reply.data.starts_with("error: ")) << reply.data;
    std::optional<int> status = server->wait_exit(10s);
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(*status, 1);
}

}  // namespace
