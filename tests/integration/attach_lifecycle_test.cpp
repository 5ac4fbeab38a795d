// What a session leaves behind (nothing) and what happens when the
// container dies under it.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>

#include "cntr_binary.hpp"
#include "docker_container.hpp"

using namespace cntr::test;
using namespace std::chrono_literals;

TEST(AttachLifecycle, NothingStaysMountedOrRunningAfterTheSession) {
    DockerContainer c;
    const auto container_mounts_before = c.exec({"cat", "/proc/1/mountinfo"}).out;
    const auto host_mounts_before = host_mountinfo();
    const auto servers_before = cntrfs_servers();

    auto r =
        attach_sh(c.name(), "ls / >/dev/null; cat /var/lib/cntr/etc/hostname >/dev/null; echo ok");
    ASSERT_EQ(r.exit_code, 0) << r.err;

    // cntr returns only after its server is gone: no waiting here.
    EXPECT_EQ(new_cntrfs_servers(servers_before), std::set<std::string>{})
        << "cntrfs-server still running";
    EXPECT_EQ(host_mountinfo(), host_mounts_before);
    EXPECT_EQ(c.exec({"cat", "/proc/1/mountinfo"}).out, container_mounts_before);
    EXPECT_EQ(host_mountinfo().find(" - fuse.cntrfs cntrfs "), std::string::npos);
}

TEST(AttachLifecycle, FailedAttachLeavesNothingBehind) {
    DockerContainer c;
    const auto servers_before = cntrfs_servers();
    const auto host_mounts_before = host_mountinfo();
    // The command does not exist: the session is set up, then fails.
    EXPECT_EQ(attach(c.name(), {"/nonexistent/binary"}).exit_code, 127);
    EXPECT_EQ(new_cntrfs_servers(servers_before), std::set<std::string>{});
    EXPECT_EQ(host_mountinfo(), host_mounts_before);
}

TEST(AttachLifecycle, ContainerDeathEndsTheSessionWithAClearMessage) {
    DockerContainer c;
    const auto servers_before = cntrfs_servers();
    ProcessResult r;
    auto started = std::chrono::steady_clock::now();
    std::thread session([&] { r = attach(c.name(), {"sleep", "600"}); });
    std::this_thread::sleep_for(2s);
    // The session's own server, seen by the helper that checks it is gone below.
    EXPECT_EQ(new_cntrfs_servers(servers_before).size(), 1U);
    ASSERT_EQ(run({"docker", "kill", c.name()}).exit_code, 0);
    session.join();
    auto took = std::chrono::steady_clock::now() - started;
    EXPECT_LT(took, 30s) << "cntr did not return after the container died";
    EXPECT_EQ(r.exit_code, 125);
    EXPECT_NE(r.err.find("exited during the session"), std::string::npos) << r.err;
    EXPECT_EQ(new_cntrfs_servers(servers_before), std::set<std::string>{});
}

TEST(AttachLifecycle, TerminatingCntrEndsTheCommand) {
    DockerContainer c;
    pid_t pid = ::fork();
    if (pid == 0) {
        ::execl(kCntr.c_str(), "cntr", "attach", c.name().c_str(), "--", "sleep", "600", nullptr);
        ::_exit(127);
    }
    std::this_thread::sleep_for(2s);
    ::kill(pid, SIGTERM);
    int status = 0;
    ASSERT_TRUE(eventually([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, 20s));
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
    auto ps = c.exec({"ps"});
    EXPECT_EQ(ps.out.find("sleep 600"), std::string::npos) << ps.out;
}
