// Every property the session inherits from the container's process:
// namespaces, cgroup, ids, groups, capabilities, no_new_privs, environment,
// timezone.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cntr_binary.hpp"
#include "docker_container.hpp"

using namespace cntr::test;

namespace {

// CAP_WAKE_ALARM, the session's ptrace fence (credentials.hpp): docker's
// default set lacks it, so a session holds it on top of the container's sets.
constexpr uint64_t kFenceBit = uint64_t{1} << 35;

// The line with the fence bit cleared from a Cap* mask; `fenced` says whether it was set.
std::string without_fence(const std::string& line, bool& fenced) {
    if (!line.starts_with("Cap")) return line;
    auto tab = line.find('\t');
    uint64_t mask = std::stoull(line.substr(tab + 1), nullptr, 16);
    fenced = fenced && (mask & kFenceBit) != 0;
    char hex[17];
    std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(mask & ~kFenceBit));
    return line.substr(0, tab + 1) + hex;
}

// Ids, groups, capability sets (fence bit cleared) and no_new_privs.
// `fenced` is set when every capability set held the fence bit.
std::string status_lines(const std::string& status, bool* fenced = nullptr) {
    std::istringstream in(status);
    std::string line, out;
    bool all_fenced = true;
    for (; std::getline(in, line);) {
        for (const char* key : {"Uid:", "Gid:", "Groups:", "CapInh:", "CapPrm:", "CapEff:",
                                "CapBnd:", "CapAmb:", "NoNewPrivs:"})
            if (line.starts_with(key)) out += without_fence(line, all_fenced) + "\n";
    }
    if (fenced != nullptr) *fenced = all_fenced;
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
    bool fenced = false;
    EXPECT_EQ(status_lines(session.out, &fenced),
              status_lines(read_host("/proc/" + std::to_string(c.pid()) + "/status")));
    EXPECT_TRUE(fenced) << session.out;
}

TEST(AttachContext, RestrictedContainerCredentialsCapabilitiesAndNoNewPrivsMatch) {
    DockerContainer c({"--user", "1000:1000", "--group-add", "10", "--cap-drop", "ALL", "--cap-add",
                       "NET_RAW", "--security-opt", "no-new-privileges"});
    auto session = attach(c.name(), {"cat", "/proc/self/status"});
    ASSERT_EQ(session.exit_code, 0) << session.err;
    auto expected = status_lines(read_host("/proc/" + std::to_string(c.pid()) + "/status"));
    bool fenced = false;
    EXPECT_EQ(status_lines(session.out, &fenced), expected);
    EXPECT_TRUE(fenced) << session.out;
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

// -u USER gets the user's HOME, USER, LOGNAME and SHELL from the container's
// passwd, as `docker exec -u` sets HOME; the home is a private scratch directory
// even though the tools (the host) have no such directory.
TEST(AttachContext, UserGetsHomeUserLognameAndShellFromTheContainersPasswd) {
    DockerContainer c;
    ASSERT_EQ(
        c.exec({"sh", "-c", "echo 'dbg:x:2345:2345:debug user:/home/dbg:/bin/ash' >> /etc/passwd"})
            .exit_code,
        0);
    auto r = run({kCntr, "attach", "-u", "dbg", c.name(), "--", "sh", "-c",
                  "echo \"$HOME $USER $LOGNAME $SHELL\"; cd && pwd && touch .history && "
                  "echo home-writable"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "/home/dbg dbg dbg /bin/ash\n/home/dbg\nhome-writable\n");
    // A uid the container's passwd does not name: HOME=/ and no name, as docker does.
    auto uid = run({kCntr, "attach", "-u", "3456", c.name(), "--", "sh", "-c",
                    "echo \"$HOME ${USER-none} ${LOGNAME-none}\""});
    ASSERT_EQ(uid.exit_code, 0) << uid.err;
    EXPECT_EQ(uid.out, "/ none none\n");
}
