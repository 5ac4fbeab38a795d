// --io-uring: requests reach the server on the per-CPU io_uring queues. Run by CTest with
// the fuse_uring fixture, which turns the fuse module's enable_uring on (and back off).
// IoUringRefused runs with the fuse_uring_off fixture, which turns it off (and back to
// what it was): the server must then say so once and serve everything through
// /dev/fuse. CTest keeps the tests that depend on the switch from running at the same
// time (RESOURCE_LOCK), and the two fixtures from overlapping (DEPENDS).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "cntrfs_fixture.hpp"

namespace {

using cntrfs_test::CntrfsFixture;

constexpr const char* kUringParam = "/sys/module/fuse/parameters/enable_uring";

class IoUring : public CntrfsFixture {
  protected:
    std::vector<std::string> server_args() override { return {"--io-uring", "--debug"}; }
};

TEST_F(IoUring, RequestsArriveOnTheRing) {
    ASSERT_EQ(cntrfs_test::read_all(kUringParam), "Y\n")
        << "run through CTest: the fuse_uring fixture enables FUSE over io_uring";
    std::string data(300000, 'u');
    for (int i = 0; i < 20; ++i) {
        std::ofstream(in_mnt("f" + std::to_string(i))) << data;
    }
    for (int i = 0; i < 20; ++i) {
        EXPECT_EQ(cntrfs_test::read_all(in_mnt("f" + std::to_string(i))), data);
        EXPECT_EQ(cntrfs_test::read_all(in_src("f" + std::to_string(i))), data);
    }
    std::string log = server_->log();
    EXPECT_NE(log.find("io_uring queue"), std::string::npos) << log.substr(0, 4000);
    EXPECT_NE(log.find(": serving requests"), std::string::npos);
    EXPECT_EQ(log.find("refused FUSE over io_uring"), std::string::npos);
}

TEST_F(IoUring, AProcessWaitingForALockDoesNotStopItsCpu) {
    // One thread serves each CPU's queue. Everything here runs on CPU 0: a waiting flock
    // served in place stopped that queue, so the holder's unlock never came through.
    std::ofstream(in_mnt("lock")) << "x";
    auto stop_server = [this] { server_->stop(); };
    cntrfs_test::LockHolder holder(in_mnt("lock"), 0, stop_server);
    ASSERT_TRUE(holder.wait_held());
    cntrfs_test::Child waiter(cntrfs_test::lock_waiter(in_mnt("lock")), 0, stop_server);
    EXPECT_FALSE(waiter.wait_exit(std::chrono::milliseconds(300)));
    const std::string other = in_mnt("created-meanwhile");
    cntrfs_test::Child creator(
        [&other] {
            int fd = ::open(other.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            return fd >= 0 && ::close(fd) == 0 ? 0 : 1;
        },
        0, stop_server);
    EXPECT_EQ(creator.wait_exit(std::chrono::seconds(5)), 0) << "CPU 0's queue stopped";
    holder.release();
    EXPECT_EQ(holder.wait_exit(std::chrono::seconds(5)), 0);
    EXPECT_EQ(waiter.wait_exit(std::chrono::seconds(5)), 0) << "the unlock never came through";
}

// The same server, run by CTest with enable_uring off.
class IoUringRefused : public IoUring {};

TEST_F(IoUringRefused, ServesThroughDevFuseAndSaysWhy) {
    ASSERT_EQ(cntrfs_test::read_all(kUringParam), "N\n")
        << "run through CTest: the fuse_uring_off fixture disables FUSE over io_uring";
    std::string data(300000, 'd');
    std::ofstream(in_mnt("f")) << data;
    EXPECT_EQ(cntrfs_test::read_all(in_mnt("f")), data);
    EXPECT_EQ(cntrfs_test::read_all(in_src("f")), data);
    // The queues learn of the refusal when they register, after INIT: give them a moment.
    std::string log = server_->log();
    for (int i = 0; i < 40 && log.find("refused FUSE over io_uring") == std::string::npos; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        log = server_->log();
    }
    EXPECT_NE(log.find("refused FUSE over io_uring"), std::string::npos) << log.substr(0, 4000);
    EXPECT_NE(log.find("echo Y > /sys/module/fuse/parameters/enable_uring"), std::string::npos);
    EXPECT_EQ(log.find(": serving requests"), std::string::npos);
}

}  // namespace
