// A tools image made from a plain layer tar (`docker import`, FROM scratch): no
// /proc, /dev, /sys, /etc, /tmp or /var. The session still gets the container's
// special filesystems and identity files, and the image is never written.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "cntr_binary.hpp"
#include "docker_container.hpp"

using namespace cntr::test;
namespace fs = std::filesystem;

namespace {

// A store image imported from a layer tar holding only /bin/busybox and /bin/sh;
// the docker image, the archive and the store go with the object.
class MinimalToolsImage {
  public:
    MinimalToolsImage() {
        std::string tmpl = "/tmp/cntr-minimal-tools.XXXXXX";
        dir_ = ::mkdtemp(tmpl.data());
        fs::create_directories(dir_ / "rootfs/bin");
        fs::copy_file("/usr/bin/busybox", dir_ / "rootfs/bin/busybox");
        fs::create_symlink("busybox", dir_ / "rootfs/bin/sh");
        const auto tar = run(
            {"tar", "-C", (dir_ / "rootfs").string(), "-cf", (dir_ / "layer.tar").string(), "bin"});
        if (tar.exit_code != 0) throw std::runtime_error("tar: " + tar.err);
        auto imported = run({"docker", "import", (dir_ / "layer.tar").string(), tag_});
        if (imported.exit_code != 0) throw std::runtime_error("docker import: " + imported.err);
        auto saved = run({"docker", "save", "-o", archive(), tag_});
        if (saved.exit_code != 0) throw std::runtime_error("docker save: " + saved.err);
        ::setenv("CNTR_IMAGE_STORE", store().c_str(), 1);
    }
    MinimalToolsImage(const MinimalToolsImage&) = delete;
    MinimalToolsImage& operator=(const MinimalToolsImage&) = delete;
    ~MinimalToolsImage() {
        ::unsetenv("CNTR_IMAGE_STORE");
        run({"docker", "rmi", "-f", tag_});
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    [[nodiscard]] std::string archive() const { return (dir_ / "tools.tar").string(); }
    [[nodiscard]] std::string store() const { return (dir_ / "store").string(); }

  private:
    fs::path dir_;
    std::string tag_ = "cntr-test-minimal-tools:" + std::to_string(::getpid());
};

}  // namespace

TEST(AttachMinimalTools, SessionHasTheContainersProcDevSysAndIdentityFiles) {
    MinimalToolsImage tools;
    DockerContainer slim({"--hostname", "the-slim-one"});
    const std::string b = "/bin/busybox ";
    auto r = run({kCntr, "attach", "--tools", "docker-archive:" + tools.archive(), slim.name(),
                  "--", "/bin/sh", "-c",
                  b + "touch /new 2>&1; " + b + "cat /etc/hosts /etc/resolv.conf /etc/hostname; " +
                      b + "tr '\\0' ' ' < /proc/1/cmdline; echo; " + b + "test -c /dev/null && " +
                      b + "test -d /sys/kernel && " + b + "test -e /var/lib/cntr/bin/busybox && " +
                      b + "touch /tmp/scratch && echo layout-ok"});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    const std::string expected =
        "touch: /new: Read-only file system\n" +
        slim.exec({"cat", "/etc/hosts", "/etc/resolv.conf", "/etc/hostname"}).out +
        "sleep 1000000 \nlayout-ok\n";
    EXPECT_EQ(r.out, expected);
    // Nothing was created in the store's unpacked copy of the image (the directory
    // holding bin/busybox): bin, and the empty /var/lib/cntr cntr-fatimg adds.
    int rootfs_count = 0;
    for (const auto& e : fs::recursive_directory_iterator(tools.store())) {
        if (e.path().filename() != "busybox" || e.path().parent_path().filename() != "bin")
            continue;
        ++rootfs_count;
        const fs::path rootfs = e.path().parent_path().parent_path();
        std::set<std::string> top;
        for (const auto& entry : fs::directory_iterator(rootfs))
            top.insert(entry.path().filename().string());
        EXPECT_EQ(top, (std::set<std::string>{"bin", "var"}));
        EXPECT_TRUE(fs::is_empty(rootfs / "var/lib/cntr"));
    }
    EXPECT_EQ(rootfs_count, 1);
}
