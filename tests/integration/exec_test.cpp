// cntr exec, from the host and from inside an attach session.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "cntr_binary.hpp"
#include "docker_container.hpp"

using namespace cntr::test;

TEST(Exec, FromTheHostRunsTheContainersOwnCommandWithItsPath) {
    DockerContainer c({"-e", "PATH=/bin:/sbin", "-e", "APP=1", "--hostname", "exec-host"});
    auto r = run({kCntr, "exec", c.name(), "--", "sh", "-c",
                  "echo $PATH; echo $APP; hostname; test -e /usr/bin/python3 || echo "
                  "container-root; basename $(readlink /bin/sh)"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "/bin:/sbin\n1\nexec-host\ncontainer-root\nbusybox\n");
}

TEST(Exec, ExitStatusAndStdinPassThrough) {
    DockerContainer c;
    auto r = run({kCntr, "exec", c.name(), "--", "sh", "-c", "cat; exit 7"}, "piped-in");
    EXPECT_EQ(r.exit_code, 7);
    EXPECT_EQ(r.out, "piped-in");
}

namespace {

// The session sees the host's /tmp and /var/tmp as private scratch, and a build
// tree may live there (CI clones into /tmp): a session runs a copy of cntr from a
// world-readable host directory, as an installed cntr would be.
struct CntrForSessions {
    std::string dir = "/srv/cntr-exec-test-" + std::to_string(::getpid());
    std::string path = dir + "/cntr";
    CntrForSessions() {
        std::filesystem::create_directories(dir);
        std::filesystem::copy_file(kCntr, path);
    }
    ~CntrForSessions() { std::filesystem::remove_all(dir); }
    CntrForSessions(const CntrForSessions&) = delete;
    CntrForSessions& operator=(const CntrForSessions&) = delete;
};

}  // namespace

TEST(Exec, FromInsideASessionUsesTheSessionsContainer) {
    DockerContainer c({"-e", "PATH=/bin:/sbin"});
    CntrForSessions cntr;
    auto r =
        attach(c.name(), {cntr.path, "exec", "--", "sh", "-c",
                          "echo $PATH; test -e /usr/bin/python3 || echo container-root; date +%Z"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "/bin:/sbin\ncontainer-root\nJST\n");
}

TEST(Exec, InsideASessionTheFirstArgumentIsTheCommandAsUpstream) {
    // Issue 15, item 5: `cntr exec ls /` took "ls" for a container and blamed
    // missing capabilities.
    DockerContainer c({"-e", "PATH=/bin:/sbin"});
    CntrForSessions cntr;
    auto r = attach(c.name(), {cntr.path, "exec", "sh", "-c", "echo $PATH; exit 3"});
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_EQ(r.out, "/bin:/sbin\n");
    EXPECT_EQ(r.err, "");
}

TEST(Exec, WithoutAContainerOutsideASessionExplainsItself) {
    auto r = run({kCntr, "exec", "--", "true"});
    EXPECT_EQ(r.exit_code, 125);
    EXPECT_NE(r.err.find("inside a 'cntr attach' session"), std::string::npos) << r.err;
}
