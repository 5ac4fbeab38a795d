// podman, rootful and rootless (the test user cntr-rootless of
// tests/engines/podman-fixture.sh): attach and exec by podman's own name,
// under sudo (SUDO_UID picks the user's store) and unprivileged through a
// copy of cntr with cap_sys_admin,cap_sys_chroot=ep file capabilities.
#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <future>

#include <stdexcept>

#include "engine_support.hpp"

using namespace cntr::test;

namespace {

const std::string kUser = "cntr-rootless";
// This machine: cgroup v1 hybrid (crun refuses it) and no /dev/net/tun.
const std::string kRunArgs =
    "--runtime runc --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 "
    "--label cntr-test=1";

std::string user_uid() {
    const passwd* pw = ::getpwnam(kUser.c_str());
    if (pw == nullptr)
        throw std::runtime_error("no user " + kUser +
                                 ": run tests/engines/podman-fixture.sh setup");
    return std::to_string(pw->pw_uid);
}

std::string as_user(const std::string& cmd) {
    return "cd / && runuser -u " + kUser + " -- env HOME=/home/" + kUser +
           " XDG_RUNTIME_DIR=/run/user/" + user_uid() + " " + cmd;
}

struct PodmanContainer {
    // `extra`: more `podman run` options, e.g. a --uidmap.
    explicit PodmanContainer(bool rootless, const std::string& extra = "")
        : name(unique_name(rootless ? "podman-rl" : "podman")),
          prefix(rootless ? as_user("") : ""),
          guard(prefix + "podman rm -f -t 0 " + name + " >/dev/null 2>&1") {
        must(prefix + "podman run -d " + kRunArgs + " " + extra + " --name " + name +
             " --hostname " + name + "-host localhost/cntr-test-slim:latest sleep 1000000");
    }
    std::string name;
    std::string prefix;
    OnExit guard;
};

void expect_attach_and_exec(const PodmanContainer& c, const std::vector<std::string>& env,
                            const std::string& cntr = kCntr) {
    auto a =
        run({"env", env.empty() ? "CNTR_T=1" : env[0], cntr, "attach", c.name, "--", "sh", "-c",
             "hostname; test -L /var/lib/cntr/bin/sh && echo container-at-var-lib-cntr"});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_EQ(a.out, c.name + "-host\ncontainer-at-var-lib-cntr\n");
    auto e = run({"env", env.empty() ? "CNTR_T=1" : env[0], cntr, "exec", c.name, "--", "sh", "-c",
                  "hostname; basename $(readlink /bin/sh)"});
    ASSERT_EQ(e.exit_code, 0) << e.err;
    EXPECT_EQ(e.out, c.name + "-host\nbusybox\n");
}

}  // namespace

TEST(EnginePodman, RootfulAttachAndExecByName) {
    PodmanContainer c(false);
    expect_attach_and_exec(c, {});
    auto t = run({kCntr, "attach", "-t", "podman", c.name, "--", "true"});
    EXPECT_EQ(t.exit_code, 0) << t.err;
    EXPECT_NE(ps_rows().find("podman " + c.name + " "), std::string::npos) << ps_rows();
}

// The cgroup engine finds podman's containers too (cgroupfs driver:
// /libpod_parent/libpod-ID, no .scope), by the full ID podman prints.
TEST(EnginePodman, FullIdReachesTheContainerThroughTheCgroupEngine) {
    PodmanContainer c(false);
    auto id = run({"podman", "inspect", "-f", "{{.Id}}", c.name});
    ASSERT_EQ(id.exit_code, 0) << id.err;
    const std::string full = id.out.substr(0, id.out.find('\n'));
    auto a = run({kCntr, "attach", "-t", "cgroup", "cri-o://" + full, "--", "hostname"});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_EQ(a.out, c.name + "-host\n");
}

// Issue 12, row 1 with a user namespace: the container's root (host 100000) attacks a
// session from `podman exec`. With owners shifted for it, host root's files would look
// like its own; it must still read no root-only host file and write none, and nothing
// it could create lands as host root.
TEST(EnginePodman, UserNamespacedContainerGainsNoHostFileThroughASession) {
    PodmanContainer c(false, "--uidmap 0:100000:65536 --gidmap 0:100000:65536");
    const std::string tag = std::to_string(::getpid());
    const std::string secret = "/root/cntr-podman-secret-" + tag;
    const std::string dir = "/srv/cntr-podman-" + tag;
    OnExit cleanup("rm -rf " + secret + " " + dir);
    must("echo HOST-ROOT-SECRET > " + secret + " && chmod 600 " + secret + " && mkdir -m 755 " +
         dir + " && echo ORIGINAL > " + dir + "/target && chmod 644 " + dir + "/target");
    auto session = std::async(std::launch::async, [&] {
        return run({kCntr, "attach", "-t", "podman", c.name, "--", "sh", "-c",
                    "echo $$ > /var/lib/cntr/tmp/cntr-session-pid; while [ ! -e "
                    "/var/lib/cntr/tmp/cntr-attack-done ]; do sleep 0.1; done"});
    });
    auto attack = run(
        {"podman", "exec", c.name, "sh", "-c",
         "for i in $(seq 300); do [ -s /tmp/cntr-session-pid ] && break; sleep 0.1; done; "
         "p=$(cat /tmp/cntr-session-pid); cat /proc/$p/root" +
             secret + " 2>&1; echo OVERWRITTEN > /proc/$p/root" + dir +
             "/target; echo x > /proc/$p/root" + dir + "/created; touch /tmp/cntr-attack-done"});
    run({"podman", "exec", c.name, "touch", "/tmp/cntr-attack-done"});
    auto s = session.get();
    EXPECT_EQ(s.exit_code, 0) << s.err;
    EXPECT_EQ(attack.out.find("HOST-ROOT-SECRET"), std::string::npos) << attack.out;
    EXPECT_EQ(must("cat " + dir + "/target"), "ORIGINAL");
    EXPECT_EQ(::access((dir + "/created").c_str(), F_OK), -1) << "created on the host";
}

TEST(EnginePodman, StoppedContainerSaysHowToStartIt) {
    PodmanContainer c(false);
    must("podman stop -t 0 " + c.name);
    auto r = run({kCntr, "attach", c.name, "--", "true"});
    EXPECT_EQ(r.exit_code, 125);
    EXPECT_NE(r.err.find("is not running"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("podman start " + c.name), std::string::npos) << r.err;
}

TEST(EnginePodman, RootlessUnderSudoUsesTheInvokingUsersStore) {
    PodmanContainer c(true);
    // Without SUDO_UID, root's store does not have it.
    auto missing = run({kCntr, "attach", "-t", "podman", c.name, "--", "true"});
    EXPECT_EQ(missing.exit_code, 125);
    EXPECT_NE(missing.err.find("no container"), std::string::npos) << missing.err;
    expect_attach_and_exec(c, {"SUDO_UID=" + user_uid()});
    // The session runs in the rootless container's user namespace.
    auto map =
        cntr_env({"SUDO_UID=" + user_uid()}, {"exec", c.name, "--", "cat", "/proc/self/uid_map"});
    ASSERT_EQ(map.exit_code, 0) << map.err;
    EXPECT_NE(trim(map.out).find(user_uid()), std::string::npos) << map.out;
    EXPECT_NE(ps_rows({"SUDO_UID=" + user_uid()}).find("podman " + c.name + " "),
              std::string::npos);
}

class UnprivilegedCntr : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = must("mktemp -d /tmp/cntrt-setcap.XXXXXX");
        must("chmod 755 " + dir_ + " && cp " + kCntr + " " + CNTRFS_SERVER_BINARY + " " + dir_ +
             "/ && cp " + kCntr + " " + dir_ +
             "/cntr-nocaps && setcap "
             "cap_sys_admin,cap_sys_chroot=ep " +
             dir_ + "/cntr");
    }
    void TearDown() override { sh("rm -rf " + dir_); }
    ProcessResult user_cntr(const std::string& args, const std::string& binary = "cntr") {
        return sh(as_user(dir_ + "/" + binary + " " + args));
    }
    std::string dir_;
};

TEST_F(UnprivilegedCntr, AttachesToTheUsersOwnRootlessContainer) {
    PodmanContainer c(true);
    auto a = user_cntr("attach " + c.name +
                       " -- sh -c 'hostname; id -u; test -L /var/lib/cntr/bin/sh && echo ok'");
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_EQ(a.out, c.name + "-host\n0\nok\n");
    auto e = user_cntr("exec " + c.name + " -- hostname");
    ASSERT_EQ(e.exit_code, 0) << e.err;
    EXPECT_EQ(e.out, c.name + "-host\n");
}

TEST_F(UnprivilegedCntr, RefusesRootsContainersNamingTheMissingCapabilities) {
    PodmanContainer c(false);
    const std::string pid = must("podman inspect -f '{{.State.Pid}}' " + c.name);
    auto r = user_cntr("attach -t process_id " + pid + " -- true");
    EXPECT_EQ(r.exit_code, 125);
    EXPECT_NE(r.err.find("CAP_SYS_PTRACE"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("user namespace you own"), std::string::npos) << r.err;
}

TEST_F(UnprivilegedCntr, WithoutFileCapabilitiesSaysWhichAreMissing) {
    PodmanContainer c(true);
    auto r = user_cntr("attach " + c.name + " -- true", "cntr-nocaps");
    EXPECT_EQ(r.exit_code, 125);
    EXPECT_NE(r.err.find("missing CAP_SYS_ADMIN, CAP_SYS_CHROOT"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("setcap cap_sys_admin,cap_sys_chroot=ep"), std::string::npos) << r.err;
}

TEST(EngineAmbiguity, SameNameInDockerAndPodmanListsBothWithTypeHints) {
    PodmanContainer p(false);
    OnExit guard("docker rm -f " + p.name + " >/dev/null 2>&1");
    must("docker run -d --label cntr-test=1 --name " + p.name +
         " cntr-test-slim:latest sleep 1000000");
    auto r = run({kCntr, "attach", p.name, "--", "true"});
    EXPECT_EQ(r.exit_code, 125);
    EXPECT_NE(r.err.find("ambiguous"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("-t docker  " + p.name), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("-t podman  " + p.name), std::string::npos) << r.err;
    auto picked = run({kCntr, "exec", "-t", "podman", p.name, "--", "hostname"});
    EXPECT_EQ(picked.exit_code, 0) << picked.err;
    EXPECT_EQ(picked.out, p.name + "-host\n");
}

TEST(EnginePodman, AsksTheApiSocketWhenTheServiceRuns) {
    PodmanContainer c(false);
    auto via_cli = run({kCntr, "-v", "resolve", "-t", "podman", c.name});
    ASSERT_EQ(via_cli.exit_code, 0) << via_cli.err;
    EXPECT_NE(via_cli.err.find("ran podman"), std::string::npos) << via_cli.err;

    // Our own `podman system service` on the rootful socket, stopped by pid.
    const std::string sock = "/run/podman/podman.sock";
    if (sh("test -S " + sock).exit_code == 0) GTEST_FAIL() << sock << " already exists";
    const std::string pid = must("mkdir -p /run/podman && (podman system service -t 0 unix://" +
                                 sock + " >/dev/null 2>&1 & echo $!)");
    OnExit stop("kill " + pid + "; for i in $(seq 50); do kill -0 " + pid +
                " 2>/dev/null || break; sleep 0.1; done; rm -f " + sock);
    ASSERT_TRUE(eventually(
        [&] { return sh("curl -sf --unix-socket " + sock + " http://d/_ping").exit_code == 0; },
        std::chrono::seconds(20)));
    auto via_api = run({kCntr, "-v", "resolve", "-t", "podman", c.name});
    ASSERT_EQ(via_api.exit_code, 0) << via_api.err;
    EXPECT_EQ(via_api.out, via_cli.out);
    EXPECT_EQ(via_api.err.find("ran podman"), std::string::npos) << via_api.err;
    auto e = run({kCntr, "exec", c.name, "--", "hostname"});
    EXPECT_EQ(e.out, c.name + "-host\n") << e.err;
}
