// Every property the session inherits from the container's process:
// namespaces, cgroup, ids, groups, capabilities, no_new_privs, environment,
// timezone.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "cntr_binary.hpp"
#include "docker_container.hpp"

using namespace cntr::test;

namespace {

std::string status_lines(const std::string& status) {
    std::istringstream in(status);
    std::string line, out;
    for (; std::getline(in, line);) {
        for (const char* key : {"Uid:", "Gid:", "Groups:", "CapInh:", "CapPrm:", "CapEff:",
                                "CapBnd:", "CapAmb:", "NoNewPrivs:"})
            if (line.starts_with(key)) out += line + "\n";
    }
    return out;
}

std::string read_host(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

TEST(AttachContext, RootContainerCredentialsAndCapabilitiesMatch) {
    DockerContainer c;
    auto session = attach(c.name(), {"cat", "/proc/self/status"});
    ASSERT_EQ(session.exit_code, 0) << session.err;
    EXPECT_EQ(status_lines(session.out),
              status_lines(read_host("/proc/" + std::to_string(c.pid()) + "/status")));
}

TEST(AttachContext, RestrictedContainerCredentialsCapabilitiesAndNoNewPrivsMatch) {
    DockerContainer c({"--user", "1000:1000", "--group-add", "10", "--cap-drop", "ALL", "--cap-add",
                       "NET_RAW", "--security-opt", "no-new-privileges"});
    auto session = attach(c.name(), {"cat", "/proc/self/status"});
    ASSERT_EQ(session.exit_code, 0) << session.err;
    auto expected = status_lines(read_host("/proc/" + std::to_string(c.pid()) + "/status"));
    EXPECT_EQ(status_lines(session.out), expected);
    EXPECT_NE(expected.find("Uid:\t1000"), std::string::npos) << expected;
    EXPECT_NE(expected.find("NoNewPrivs:\t1"), std::string::npos) << expected;
    auto id = attach(c.name(), {"id"});
    EXPECT_TRUE(id.out.starts_with("uid=1000(app) gid=1000(app) groups=1000(app),10"))
        << id.out << id.err;
}

TEST(AttachContext, NamespacesAreTheContainersExceptANestedMountNamespace) {
    DockerContainer c;
    const std::string pid = std::to_string(c.pid());
    auto session = attach_sh(
        c.name(), "for n in uts ipc net pid cgroup user mnt; do readlink /proc/self/ns/$n; done");
    ASSERT_EQ(session.exit_code, 0) << session.err;
    std::istringstream in(session.out);
    for (const char* ns : {"uts", "ipc", "net", "pid", "cgroup", "user"}) {
        std::string line;
        std::getline(in, line);
        char buf[256] = {};
        ASSERT_GT(::readlink(("/proc/" + pid + "/ns/" + ns).c_str(), buf, sizeof(buf) - 1), 0);
        EXPECT_EQ(line, buf) << ns;
    }
    std::string mnt;
    std::getline(in, mnt);
    char buf[256] = {};
    ASSERT_GT(::readlink(("/proc/" + pid + "/ns/mnt").c_str(), buf, sizeof(buf) - 1), 0);
    EXPECT_NE(mnt, buf) << "the session must not modify the container's own mount namespace";
}

TEST(AttachContext, CgroupIsTheContainers) {
    DockerContainer c;
    auto session = attach(c.name(), {"cat", "/proc/self/cgroup"});
    auto container = c.exec({"cat", "/proc/self/cgroup"});
    ASSERT_EQ(session.exit_code, 0) << session.err;
    EXPECT_EQ(session.out, container.out);
    EXPECT_NE(session.out.find(c.id()), std::string::npos) << session.out;
}

TEST(AttachContext, HostnameAndProcessListAreTheContainers) {
    DockerContainer c({"--hostname", "slim-host"});
    auto r = attach_sh(c.name(), "hostname; ps -e -o pid=,comm=");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(r.out.starts_with("slim-host\n")) << r.out;
    EXPECT_NE(r.out.find("1 sleep"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("dockerd"), std::string::npos) << r.out;
}

TEST(AttachContext, EnvironmentIsTheContainersWithTheToolsPath) {
    DockerContainer c({"-e", "APP_MODE=slim", "-e", "PATH=/app/bin:/bin"});
    ::setenv("CNTR_TEST_SECRET", "1", 1);
    auto r = attach(c.name(), {"env"});
    ::unsetenv("CNTR_TEST_SECRET");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("APP_MODE=slim\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("CNTR_CONTAINER_PATH=/app/bin:/bin\n"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("PATH=/app/bin:/bin\nH"), std::string::npos);
    const char* host_path = std::getenv("PATH");
    EXPECT_NE(r.out.find(std::string("\nPATH=") + host_path + "\n"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("CNTR_TEST_SECRET"), std::string::npos) << "cntr's own environment leaked";
}

TEST(AttachContext, TimezoneFollowsTheContainersLocaltime) {
    DockerContainer c;  // the test image's /etc/localtime is Asia/Tokyo
    // The test sets the host side's zone itself rather than assuming the
    // machine's: cntr runs with TZ=America/New_York, and the session must
    // still show the container's zone.
    const std::string host_zone = trim(sh("TZ=America/New_York date +%Z").out);
    ASSERT_TRUE(host_zone == "EST" || host_zone == "EDT")
        << "tzdata's America/New_York is missing (scripts/install-deps.sh installs tzdata): "
        << host_zone;
    auto session =
        run({"env", "TZ=America/New_York", kCntr, "attach", c.name(), "--", "date", "+%Z"});
    ASSERT_EQ(session.exit_code, 0) << session.err;
    EXPECT_EQ(trim(session.out), "JST");
}
