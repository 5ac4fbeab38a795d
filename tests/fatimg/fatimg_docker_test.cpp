// cntr-fatimg imports from a real dockerd (docker fixture: cntr-test-slim built
// from busybox-static): docker-daemon:NAME over the Engine API and a
// `docker save` archive; both give the same image, unpacked once.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "fatimg_test_util.hpp"

namespace cntr::fatimg::test {
namespace {

namespace fs = std::filesystem;

constexpr const char* kImage = "cntr-test-slim:latest";

TEST(FatimgDocker, ImportFromDockerDaemon) {
    Scratch scratch;
    auto r = fatimg(scratch.store(), {"import", std::string("docker-daemon:") + kImage});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string root = cntr::test::trim(r.out);
    EXPECT_TRUE(fs::exists(root + "/bin/busybox") || fs::exists(root + "/bin/sh")) << root;
    EXPECT_TRUE(fs::is_directory(root + "/var/lib/cntr"));
    auto p = fatimg(scratch.store(), {"path", std::string("docker-daemon:") + kImage});
    EXPECT_EQ(p.exit_code, 0) << p.err;
    EXPECT_EQ(cntr::test::trim(p.out), root);
}

TEST(FatimgDocker, ImportFromDockerDaemonKeepsTheImagesOwnName) {
    // Issue 15, item 6: without --name the image was recorded as "docker-daemon:...".
    Scratch scratch;
    auto r = fatimg(scratch.store(), {"import", std::string("docker-daemon:") + kImage});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto ls = nlohmann::json::parse(fatimg(scratch.store(), {"ls", "--format", "json"}).out);
    ASSERT_EQ(ls.size(), 1u);
    EXPECT_EQ(ls[0]["name"], std::string("docker.io/library/") + kImage);
    auto p = fatimg(scratch.store(), {"path", kImage});
    EXPECT_EQ(p.exit_code, 0) << p.err;
    EXPECT_EQ(p.out, r.out);
}

TEST(FatimgDocker, ImportDockerSaveArchiveGivesTheSameImage) {
    Scratch scratch;
    std::string tar = scratch.dir() + "/slim.tar";
    auto save = cntr::test::run({"docker", "save", "-o", tar, kImage});
    ASSERT_EQ(save.exit_code, 0) << save.err;
    auto a = fatimg(scratch.store(), {"import", "docker-archive:" + tar, "--name", "slim:saved"});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    auto b = fatimg(scratch.store(), {"import", std::string("docker-daemon:") + kImage});
    ASSERT_EQ(b.exit_code, 0) << b.err;
    EXPECT_EQ(a.out, b.out) << "same manifest digest, one rootfs";
    auto ls = nlohmann::json::parse(fatimg(scratch.store(), {"ls", "--format", "json"}).out);
    EXPECT_EQ(ls.size(), 2u);
}

TEST(FatimgDocker, UnknownDaemonImageIsAClearError) {
    Scratch scratch;
    auto r = fatimg(scratch.store(), {"import", "docker-daemon:cntr-no-such-image:nope"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("cntr-no-such-image"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("docker images"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace cntr::fatimg::test
