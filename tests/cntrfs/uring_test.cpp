// --io-uring: requests reach the server on the per-CPU io_uring queues. Run by CTest with
// the fuse_uring fixture, which turns the fuse module's enable_uring on (and back off).
#include <gtest/gtest.h>

#include <string>

#include "cntrfs_fixture.hpp"

namespace {

using cntrfs_test::CntrfsFixture;

class IoUring : public CntrfsFixture {
  protected:
    std::vector<std::string> server_args() override { return {"--io-uring", "--debug"}; }
};

TEST_F(IoUring, RequestsArriveOnTheRing) {
    ASSERT_EQ(cntrfs_test::read_all("/sys/module/fuse/parameters/enable_uring"), "Y\n")
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

}  // namespace
