// --tools: the session's / from a running fat container or from a tool image.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "cntr_binary.hpp"
#include "docker_container.hpp"

using namespace cntr::test;
namespace fs = std::filesystem;

TEST(AttachTools, FromARunningFatContainer) {
    DockerContainer fat;
    DockerContainer slim({"--hostname", "the-slim-one"});
    ASSERT_EQ(fat.exec({"sh", "-c", "echo fat-tools > /fat-marker"}).exit_code, 0);
    ASSERT_EQ(slim.exec({"sh", "-c", "echo slim-app > /slim-marker"}).exit_code, 0);
    auto r = run({kCntr, "attach", "--tools", "container:" + fat.name(), slim.name(), "--",
                  "/bin/sh", "-c",
                  "cat /fat-marker /var/lib/cntr/slim-marker; hostname; test -e /usr/bin/python3 "
                  "|| echo no-host-tools"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "fat-tools\nslim-app\nthe-slim-one\nno-host-tools\n");
    // The fat container itself is untouched apart from the mount point.
    EXPECT_EQ(fat.exec({"sh", "-c", "ls /var/lib/cntr | wc -l"}).out, "0\n");
}

TEST(AttachTools, FromAToolImageServedReadOnly) {
    std::string tmpl = "/tmp/cntr-tools-it.XXXXXX";
    const fs::path dir = ::mkdtemp(tmpl.data());
    const std::string archive = (dir / "tools.tar").string();
    ASSERT_EQ(run({"docker", "save", "-o", archive, kTestImage}).exit_code, 0);
    ::setenv("CNTR_IMAGE_STORE", (dir / "store").c_str(), 1);
    DockerContainer slim;
    auto never = run({kCntr, "attach", "--tools", "docker-archive:" + archive, "--pull", "never",
                      slim.name(), "--", "true"});
    auto r = run({kCntr, "attach", "--tools", "docker-archive:" + archive, slim.name(), "--",
                  "/bin/sh", "-c",
                  "echo PATH=$PATH; readlink /bin/sh; touch /new-file 2>&1; ls "
                  "/var/lib/cntr/bin/busybox; test -e "
                  "/usr/bin/python3 || echo no-host-tools"});
    auto again = run({kCntr, "attach", "--tools", "docker-archive:" + archive, "--pull", "never",
                      slim.name(), "--", "/bin/true"});
    ::unsetenv("CNTR_IMAGE_STORE");
    fs::remove_all(dir);
    EXPECT_EQ(never.exit_code, 125);
    EXPECT_NE(never.err.find("docker-archive:"), std::string::npos) << never.err;
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("busybox"), std::string::npos) << r.out;
    // The tools' PATH is the image's own (its config's Env), not cntr's default.
    EXPECT_NE(r.out.find("PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Read-only file system"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("/var/lib/cntr/bin/busybox"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("no-host-tools"), std::string::npos) << r.out;
    EXPECT_EQ(again.exit_code, 0) << again.err;
}

TEST(AttachTools, UnknownToolsContainerSaysSo) {
    DockerContainer slim;
    auto r =
        run({kCntr, "attach", "--tools", "container:no-such-fat-xyz", slim.name(), "--", "true"});
    EXPECT_EQ(r.exit_code, 125);
    // Two containers are named: the message says it was the tools one (issue 15, item 6).
    EXPECT_TRUE(
        r.err.starts_with("cntr: error: tools container (--tools "
                          "container:no-such-fat-xyz): no container 'no-such-fat-xyz' "
                          "found (tried: docker, "))
        << r.err;
}

namespace {

// A private image store for one test, removed with everything in it.
struct ScratchStore {
    std::string dir = [] {
        std::string tmpl = "/tmp/cntr-tools-store.XXXXXX";
        return std::string(::mkdtemp(tmpl.data()));
    }();
    ScratchStore() { ::setenv("CNTR_IMAGE_STORE", (dir + "/store").c_str(), 1); }
    ~ScratchStore() {
        ::unsetenv("CNTR_IMAGE_STORE");
        fs::remove_all(dir);
    }
    ScratchStore(const ScratchStore&) = delete;
    ScratchStore& operator=(const ScratchStore&) = delete;
};

}  // namespace

TEST(AttachTools, ImageImportedFromDockerIsFoundByItsOwnName) {
    // Issue 15, item 6: docker-daemon:NAME was recorded as "docker-daemon:...", so
    // --tools NAME then wanted to pull it.
    ScratchStore store;
    DockerContainer slim;
    auto imported = run({kCntr, "attach", "--tools", std::string("docker-daemon:") + kTestImage,
                         slim.name(), "--", "true"});
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
    auto by_name = run({kCntr, "attach", "--tools", kTestImage, "--pull", "never", slim.name(),
                        "--", "/bin/busybox", "true"});
    EXPECT_EQ(by_name.exit_code, 0) << by_name.err;
}

TEST(AttachTools, ImageNeitherInTheStoreNorPullableSaysBoth) {
    ScratchStore store;
    DockerContainer slim;
    auto r =
        run({kCntr, "attach", "--tools", "127.0.0.1:1/no-such-tools:1", slim.name(), "--", "true"});
    EXPECT_EQ(r.exit_code, 125);
    EXPECT_TRUE(
        r.err.starts_with("cntr: error: no image 127.0.0.1:1/no-such-tools:1 in the store "
                          "(cntr-fatimg ls); pulling it from 127.0.0.1:1 failed: cannot "
                          "reach registry 127.0.0.1:1"))
        << r.err;
}
