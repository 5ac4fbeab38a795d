// A container with its own user namespace (made with unshare(1), which maps
// host ids 100000-165535 to 0-65535 like a rootless runtime does), and
// --effective-user: ownership as the container and the host see it, read-only
// (the default) and with --writable-tools.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "cntr_binary.hpp"
#include "docker_container.hpp"

using namespace cntr::test;
using namespace std::chrono_literals;

namespace {

class UserNamespacedProcess {
  public:
    UserNamespacedProcess() {
        unshare_ = ::fork();
        if (unshare_ == 0) {
            ::execlp("unshare", "unshare", "--user", "--map-users=100000,0,65536",
                     "--map-groups=100000,0,65536", "--setuid", "0", "--setgid", "0", "--mount",
                     "--pid", "--fork", "--kill-child", "sleep", "1000000", nullptr);
            ::_exit(127);
        }
        const std::string children =
            "/proc/" + std::to_string(unshare_) + "/task/" + std::to_string(unshare_) + "/children";
        eventually(
            [&] {
                std::ifstream in(children);
                return static_cast<bool>(in >> pid_);
            },
            10s);
    }
    ~UserNamespacedProcess() {
        // --kill-child's parent-death signal does not survive --setuid: kill both.
        if (pid_ > 0) ::kill(pid_, SIGKILL);
        ::kill(unshare_, SIGKILL);
        ::waitpid(unshare_, nullptr, 0);
    }
    [[nodiscard]] pid_t pid() const { return pid_; }

  private:
    pid_t unshare_ = -1;
    pid_t pid_ = 0;
};

uid_t owner_of(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? st.st_uid : static_cast<uid_t>(-1);
}

}  // namespace

TEST(AttachUserNamespace, ReadOnlyToolsAreShownOwnedByTheContainersRoot) {
    UserNamespacedProcess c;
    ASSERT_GT(c.pid(), 0);
    // This "container" shares the host's root, so its /tmp is the host's /tmp,
    // seen as /var/lib/cntr/tmp in the session.
    const std::string direct = "/tmp/cntr-userns-test-" + std::to_string(::getpid()) + "-direct";
    auto r = run({kCntr, "attach", "-t", "process_id", std::to_string(c.pid()), "--", "sh", "-c",
                  "id -u; cat /proc/self/uid_map; stat -c %u /usr/bin/ls; touch /var/lib/cntr" +
                      direct + " && stat -c %u /var/lib/cntr" + direct +
                      "; touch /usr/cntr-userns-test 2>&1 | grep -c 'Read-only'"});
    const uid_t direct_owner = owner_of(direct);
    ::unlink(direct.c_str());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Root inside (host uid 100000) sees host root's read-only tools as its own
    // root's (--shift-owners: nothing there can change) and its own files as root's.
    EXPECT_EQ(r.out, "0\n         0     100000      65536\n0\n0\n1\n") << r.out;
    EXPECT_EQ(direct_owner, 100000U);
}

TEST(AttachUserNamespace, WritableToolsShowUnmappedHostOwnersAsOverflow) {
    UserNamespacedProcess c;
    ASSERT_GT(c.pid(), 0);
    const std::string base = "/tmp/cntr-userns-test-" + std::to_string(::getpid());
    const std::string through_tools = base + "-tools", host_root_file = base + "-root";
    { std::ofstream(host_root_file) << "ORIGINAL\n"; }
    ::chmod(host_root_file.c_str(), 0644);
    auto r = run({kCntr, "attach", "--writable-tools", "-t", "process_id", std::to_string(c.pid()),
                  "--", "sh", "-c",
                  "stat -c %u /usr/bin/ls " + host_root_file + "; touch " + through_tools +
                      " && stat -c %u " + through_tools + "; echo CHANGED >> " + host_root_file +
                      " 2>/dev/null || echo refused"});
    const uid_t tools_owner = owner_of(through_tools);
    std::ifstream in(host_root_file);
    std::string content;
    std::getline(in, content);
    ::unlink(through_tools.c_str());
    ::unlink(host_root_file.c_str());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Host root is not mapped in the container: its files are the overflow id's, as
    // the kernel shows them on an idmapped mount, and the container's root cannot
    // write them; its own new file is its own (root inside, host 100000 on disk).
    EXPECT_EQ(r.out, "65534\n65534\n0\nrefused\n") << r.out;
    EXPECT_EQ(tools_owner, 100000U);
    EXPECT_EQ(content, "ORIGINAL");
}

TEST(AttachEffectiveUser, FilesCreatedFromTheSessionBelongToThatHostUser) {
    DockerContainer c;
    const std::string file = "/tmp/cntr-effective-user-" + std::to_string(::getpid());
    auto r = run({kCntr, "attach", "--writable-tools", "--effective-user", "4242:4243", c.name(),
                  "--", "sh", "-c", "touch " + file});
    struct stat st {};
    const int found = ::stat(file.c_str(), &st);
    ::unlink(file.c_str());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(found, 0);
    EXPECT_EQ(st.st_uid, 4242U);
    EXPECT_EQ(st.st_gid, 4243U);
    auto bad =
        run({kCntr, "attach", "--effective-user", "no-such-user-xyz", c.name(), "--", "true"});
    EXPECT_EQ(bad.exit_code, 125);
    EXPECT_NE(bad.err.find("applies to files created in the tools"), std::string::npos) << bad.err;
    bad = run({kCntr, "attach", "--writable-tools", "--effective-user", "no-such-user-xyz",
               c.name(), "--", "true"});
    EXPECT_EQ(bad.exit_code, 125);
    EXPECT_NE(bad.err.find("no such user on the host"), std::string::npos) << bad.err;
}
