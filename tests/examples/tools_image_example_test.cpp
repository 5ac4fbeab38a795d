// examples/tools-image: the Debian tools image its script builds (the fixture runs
// it into a store of the test state) gives a session with the slim test container
// the debuggers an SRE reaches for, attached to the container's own processes.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>

#include "cntr_binary.hpp"
#include "docker_container.hpp"

using namespace cntr::test;

namespace {

const std::string kStore = "/run/cntr-test/tools-image/store";
const std::string kImage = "cntr-tools:bookworm";

class ToolsImageExample : public ::testing::Test {
  protected:
    void SetUp() override { ::setenv("CNTR_IMAGE_STORE", kStore.c_str(), 1); }
    void TearDown() override { ::unsetenv("CNTR_IMAGE_STORE"); }

    ProcessResult session(const std::string& script) {
        return run({kCntr, "attach", "--tools", kImage, "--pull", "never", slim_.name(), "--",
                    "/bin/bash", "-c", script});
    }

    DockerContainer slim_;  // its PID 1 is `sleep 1000000`
};

}  // namespace

TEST_F(ToolsImageExample, GdbAttachesToTheContainersProcess) {
    auto r = session("gdb -p 1 -batch -ex 'info inferiors' 2>&1");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("process 1"), std::string::npos) << r.out;
}

TEST_F(ToolsImageExample, StraceFollowsTheContainersProcess) {
    auto r = session("timeout -s INT 2 strace -p 1 2>&1; true");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("strace: Process 1 attached"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("strace: Process 1 detached"), std::string::npos) << r.out;
}

TEST_F(ToolsImageExample, TcpdumpListsTheContainersInterfaces) {
    // The session is in the container's network namespace: tcpdump lists what
    // `ip link` in the container shows, not the host's interfaces.
    auto r = session("tcpdump -D");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find(".lo [Up, Running, Loopback]"), std::string::npos) << r.out;
    auto links = slim_.exec({"ls", "/sys/class/net"});
    ASSERT_EQ(links.exit_code, 0) << links.err;
    size_t listed = 0;
    for (size_t at = 0; (at = r.out.find('\n', at)) != std::string::npos; ++at) ++listed;
    size_t own = 0;
    for (size_t at = 0; (at = links.out.find('\n', at)) != std::string::npos; ++at) ++own;
    // tcpdump adds the pseudo-devices "any" and, where it has them, bluetooth/usb/dbus.
    EXPECT_GE(listed, own) << r.out;
    EXPECT_EQ(r.out.find("docker0"), std::string::npos) << r.out;
}

TEST_F(ToolsImageExample, PythonReadsTheContainersFiles) {
    auto r = session(
        "python3 -c 'import os, sys; print(sys.version_info[0], "
        "open(\"/var/lib/cntr/etc/hostname\").read().strip() == os.uname().nodename)'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "3 True\n");
}
