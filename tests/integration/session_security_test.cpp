// Issue 12, the session's side: every test runs the attack a compromised
// container could run (from a real container process, or through what the
// container controls: its environ, its /etc/passwd) against a real
// `cntr attach` / `cntr exec` session, and compares the session's
// confinement with `docker exec` on the same container.
#include <gtest/gtest.h>
#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "cntr_binary.hpp"
#include "docker_container.hpp"

using namespace cntr::test;

namespace {

const std::string kRacer = CONTAINER_RACER_BINARY;

// The lines of `text` that start with `prefix`.
std::string lines_starting(const std::string& text, const std::string& prefix) {
    std::istringstream in(text);
    std::string out;
    for (std::string line; std::getline(in, line);)
        if (line.starts_with(prefix)) out += line + "\n";
    return out;
}

// A host temp file removed however the test ends (an early ASSERT or a throw).
struct TempFile {
    std::string path;
    explicit TempFile(const char* prefix) : path(std::string("/tmp/") + prefix + "XXXXXX") {
        const int fd = ::mkstemp(path.data());
        if (fd < 0) throw std::runtime_error("mkstemp " + path);
        ::close(fd);
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    ~TempFile() { ::unlink(path.c_str()); }
};

int count_lines_starting(const std::string& text, const std::string& prefix) {
    std::istringstream in(text);
    int n = 0;
    for (std::string line; std::getline(in, line);)
        if (line.starts_with(prefix)) ++n;
    return n;
}

// cntr SUBCOMMAND [OPTIONS...] CONTAINER -- ARGV...
ProcessResult cntr_session(const char* subcommand, const std::string& container,
                           const std::vector<std::string>& argv,
                           const std::vector<std::string>& options) {
    std::vector<std::string> full = {kCntr, subcommand};
    full.insert(full.end(), options.begin(), options.end());
    full.push_back(container);
    full.emplace_back("--");
    full.insert(full.end(), argv.begin(), argv.end());
    return run(full);
}

ProcessResult cntr_exec(const std::string& container, const std::vector<std::string>& argv,
                        const std::vector<std::string>& options = {}) {
    return cntr_session("exec", container, argv, options);
}

ProcessResult cntr_attach(const std::string& container, const std::vector<std::string>& argv,
                          const std::vector<std::string>& options = {}) {
    return cntr_session("attach", container, argv, options);
}

}  // namespace

// Row 3: a racer inside the container scans /proc for every new process and
// tries to open its descriptors and root and to ptrace it, during 20 attaches
// and 20 execs. Before the fix it won within the first six attaches.
TEST(SessionSecurity, ContainerRacerReachesNoSessionProcess) {
    DockerContainer c;
    ASSERT_EQ(run({"docker", "cp", kRacer, c.name() + ":/racer"}).exit_code, 0);
    auto racer = std::async(std::launch::async, [&] {
        return run({"docker", "exec", c.name(), "/racer", "240"}, {}, std::chrono::seconds(250));
    });
    // Stops the racer on every path, so a failed assertion does not wait for it.
    std::shared_ptr<void> stop(nullptr, [&](void*) { c.exec({"touch", "/racer.stop"}); });
    ASSERT_TRUE(eventually(
        [&] {
            return c.exec({"test", "-e", "/racer.ready"}).exit_code == 0;
        },
        std::chrono::seconds(60)))
        << "the racer did not start";
    int failed_sessions = 0;
    for (int i = 0; i < 20; ++i) {
        // The marker is what the racer looks for (container_racer.cpp).
        auto a = cntr_attach(c.name(), {"sh", "-c", "sleep 0.2; true", "cntr-racer-target"});
        auto e = cntr_exec(c.name(), {"sh", "-c", "sleep 0.2; true", "cntr-racer-target"});
        failed_sessions += static_cast<int>(a.exit_code != 0) + static_cast<int>(e.exit_code != 0);
    }
    stop.reset();
    auto r = racer.get();
    EXPECT_EQ(failed_sessions, 0);
    // The racer saw the sessions...
    EXPECT_GE(count_lines_starting(r.out, "SEEN"), 20) << r.out << r.err;
    // ...and reached none of them.
    EXPECT_EQ(lines_starting(r.out, "FD ") + lines_starting(r.out, "ROOT ") +
                  lines_starting(r.out, "PTRACE "),
              "")
        << "a container process reached a session process";
    // ...and never saw one holding host root's capabilities.
    EXPECT_EQ(lines_starting(r.out, "PRIV "), "")
        << "a session process was visible in the container with host privileges";
}

// Row 3: the fence keeps the container out, not the session's own tools.
TEST(SessionSecurity, StraceOfASessionProcessStillWorksInsideTheSession) {
    DockerContainer c;
    auto r = attach_sh(c.name(), "sleep 1 & strace -e trace=none -p $! 2>&1; wait");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("attached"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("+++ exited with 0 +++"), std::string::npos) << r.out;
}

// Row 4: the container controls its own environ; none of the variables that
// make the host's tools load or run other code may reach the session.
TEST(SessionSecurity, ContainerLoaderAndShellStartupVariablesDoNotReachTheTools) {
    DockerContainer c({"-e", "LD_PRELOAD=/var/lib/cntr/tmp/evil.so", "-e",
                       "LD_LIBRARY_PATH=/var/lib/cntr/tmp", "-e", "BASH_ENV=/var/lib/cntr/tmp/rc",
                       "-e", "ENV=/var/lib/cntr/tmp/rc", "-e", "GCONV_PATH=/var/lib/cntr/tmp", "-e",
                       "PYTHONSTARTUP=/var/lib/cntr/tmp/x.py", "-e", "PERL5OPT=-Mevil", "-e",
                       "MALLOC_CHECK_=3", "-e", "APP_SETTING=kept"});
    auto r = cntr_attach(c.name(), {"env"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char* name : {"LD_PRELOAD=", "LD_LIBRARY_PATH=", "BASH_ENV=", "ENV=", "GCONV_PATH=",
                             "PYTHONSTARTUP=", "PERL5OPT=", "MALLOC_CHECK_="})
        EXPECT_EQ(lines_starting(r.out, name), "") << name;
    EXPECT_EQ(lines_starting(r.out, "APP_SETTING="), "APP_SETTING=kept\n");
}

// Row 11: a container's environ larger than 1 MiB is cut with a warning, not
// copied whole into cntr (host root).
TEST(SessionSecurity, HugeContainerEnvironIsBoundedWithAWarning) {
    const TempFile env_file("cntr-env-");
    const char* tmpl = env_file.path.c_str();
    {
        std::ofstream f(tmpl);
        // 20 x 60 KiB: docker reads an env file line by line, at most 64 KiB each.
        for (int i = 0; i < 20; ++i) f << "BIG" << i << "=" << std::string(60 * 1024, 'x') << "\n";
    }
    DockerContainer c({"--env-file", tmpl});
    auto r = cntr_attach(c.name(), {"sh", "-c", "env | wc -c"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_LT(std::stol(trim(r.out)), 1100 * 1024) << r.out;
    EXPECT_NE(r.err.find("larger than 1024 KiB"), std::string::npos) << r.err;
}

// Row 11: -u resolves the user through the container's /etc/passwd, which the
// container may make endless, huge, or a FIFO nobody writes to.
TEST(SessionSecurity, HostileContainerPasswdIsRefusedNotReadWithoutBound) {
    // Two containers: docker exec itself can no longer run in either afterwards.
    DockerContainer c, fifo_container;
    ASSERT_EQ(c.exec({"sh", "-c",
                      "cp /etc/passwd /etc/passwd.real && "
                      "(cat /etc/passwd.real; head -c 2097152 /dev/zero | tr '\\0' '#') "
                      "> /etc/passwd"})
                  .exit_code,
              0);
    auto big =
        run({kCntr, "attach", "-u", "app", c.name(), "--", "true"}, {}, std::chrono::seconds(30));
    EXPECT_EQ(big.exit_code, 125) << big.err;
    EXPECT_NE(big.err.find("/etc/passwd is larger than"), std::string::npos) << big.err;

    ASSERT_EQ(fifo_container.exec({"sh", "-c", "rm /etc/passwd && mkfifo /etc/passwd"}).exit_code,
              0);
    auto fifo = run({kCntr, "attach", "-u", "app", fifo_container.name(), "--", "true"}, {},
                    std::chrono::seconds(30));
    EXPECT_FALSE(fifo.timed_out);
    EXPECT_EQ(fifo.exit_code, 125) << fifo.err;
    EXPECT_NE(fifo.err.find("not a regular file"), std::string::npos) << fifo.err;
}

// Row 5: the container's seccomp filter applies: same Seccomp lines as
// `docker exec`, and a syscall it denies (unshare of a user namespace) fails.
TEST(SessionSecurity, SeccompFilterEqualsDockerExec) {
    DockerContainer c;
    auto docker = c.exec({"grep", "^Seccomp", "/proc/self/status"});
    ASSERT_EQ(docker.exit_code, 0) << docker.err;
    ASSERT_NE(docker.out.find("Seccomp:\t2"), std::string::npos) << docker.out;
    auto a = cntr_attach(c.name(), {"grep", "^Seccomp", "/proc/self/status"});
    EXPECT_EQ(a.out, docker.out) << a.err;
    auto e = cntr_exec(c.name(), {"grep", "^Seccomp", "/proc/self/status"});
    EXPECT_EQ(e.out, docker.out) << e.err;

    ASSERT_NE(c.exec({"unshare", "-U", "true"}).exit_code, 0) << "docker's filter allows it?";
    EXPECT_NE(cntr_attach(c.name(), {"unshare", "-U", "true"}).exit_code, 0);
    EXPECT_NE(cntr_exec(c.name(), {"unshare", "-U", "true"}).exit_code, 0);
}

// Named elevation: --elevate seccomp lifts exactly that layer, loudly.
TEST(SessionSecurity, ElevateSeccompLiftsTheFilterWithAWarning) {
    DockerContainer c;
    auto r =
        cntr_exec(c.name(), {"sh", "-c", "grep '^Seccomp:' /proc/self/status; unshare -U true"},
                  {"--elevate", "seccomp"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "Seccomp:\t0\n");
    EXPECT_NE(r.err.find("elevated session: the container's seccomp confinement is NOT applied"),
              std::string::npos)
        << r.err;
    auto bad = cntr_exec(c.name(), {"true"}, {"--elevate", "everything"});
    EXPECT_EQ(bad.exit_code, 125);
    EXPECT_NE(bad.err.find("unknown layer 'everything'"), std::string::npos) << bad.err;
}

// Row 10: rlimits, oom_score_adj, umask and personality equal docker exec's.
TEST(SessionSecurity, LimitsOomScoreUmaskAndPersonalityEqualDockerExec) {
    DockerContainer c(
        {"--ulimit", "nofile=1024:2048", "--ulimit", "nproc=500", "--oom-score-adj", "500"});
    const std::string script =
        "cat /proc/self/limits /proc/self/oom_score_adj /proc/self/personality; umask";
    auto docker = c.exec({"sh", "-c", script});
    ASSERT_EQ(docker.exit_code, 0) << docker.err;
    ASSERT_NE(docker.out.find("Max open files            1024                 2048"),
              std::string::npos)
        << docker.out;
    ASSERT_NE(docker.out.find("\n500\n"), std::string::npos) << docker.out;
    auto a = cntr_attach(c.name(), {"sh", "-c", script});
    EXPECT_EQ(a.out, docker.out) << a.err;
    auto e = cntr_exec(c.name(), {"sh", "-c", script});
    EXPECT_EQ(e.out, docker.out) << e.err;
}

// Row 6: the admin's session keyring stays on the host. docker masks
// /proc/keys, so the session asks the kernel directly (python3 of the tools):
// search its session keyring for the admin's key and read it.
TEST(SessionSecurity, AdminsSessionKeyringIsNotTheSessions) {
    ASSERT_GE(::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "cntr-test-admin"), 0);
    long key =
        ::syscall(SYS_add_key, "user", "cntr-admin-secret", "s3cret", 6, KEY_SPEC_SESSION_KEYRING);
    ASSERT_GE(key, 0);
    const std::string probe =
        "import ctypes\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "libc.syscall.restype = ctypes.c_long\n"
        "k = libc.syscall(" +
        std::to_string(SYS_keyctl) + ", " + std::to_string(KEYCTL_SEARCH) + ", " +
        std::to_string(KEY_SPEC_SESSION_KEYRING) +
        ", b'user', b'cntr-admin-secret', 0)\n"
        "buf = ctypes.create_string_buffer(64)\n"
        "n = libc.syscall(" +
        std::to_string(SYS_keyctl) + ", " + std::to_string(KEYCTL_READ) +
        ", k, buf, 64) if k > 0 else -1\n"
        "print(buf.raw[:n].decode() if n > 0 else 'no key, errno %d' % ctypes.get_errno())\n";
    // The probe itself works: cntr's own session keyring has the key.
    auto own = run({"python3", "-c", probe});
    ASSERT_EQ(own.out, "s3cret\n") << own.err;

    DockerContainer c;
    auto confined = cntr_attach(c.name(), {"python3", "-c", probe});
    ASSERT_EQ(confined.exit_code, 0) << confined.err;
    EXPECT_TRUE(confined.out.starts_with("no key")) << confined.out;
    // Without the seccomp filter (which denies keyctl) the keyring is still a fresh one.
    auto unfiltered = cntr_attach(c.name(), {"python3", "-c", probe}, {"--elevate", "seccomp"});
    ASSERT_EQ(unfiltered.exit_code, 0) << unfiltered.err;
    EXPECT_TRUE(unfiltered.out.starts_with("no key")) << unfiltered.out;
}

// Row 9: without a PTY the command's stdio are pipes cntr relays, never
// cntr's own descriptors (here a host file as stdin), byte for byte.
TEST(SessionSecurity, WithoutAPtyStdioIsRelayedNotHandedOver) {
    const TempFile input("cntr-stdin-");
    const std::string& tmpl = input.path;
    std::ofstream(tmpl) << "from-a-host-file\n";
    DockerContainer c;
    const std::string cmd =
        " -- sh -c 'stat -L -c %F /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2; cat' < " + tmpl +
        " 2>/dev/null";
    auto a = sh(kCntr + " attach " + c.name() + cmd);
    auto e = sh(kCntr + " exec " + c.name() + cmd);
    EXPECT_EQ(a.out, "fifo\nfifo\nfifo\nfrom-a-host-file\n") << a.err;
    EXPECT_EQ(e.out, "fifo\nfifo\nfifo\nfrom-a-host-file\n") << e.err;
}

// --elevate caps keeps cntr's own capabilities (not "all": cntr's bounding
// set may be smaller), even for a container that dropped every capability.
TEST(SessionSecurity, ElevateCapsKeepsCntrsOwnCapabilities) {
    DockerContainer c({"--user", "1000:1000", "--cap-drop", "ALL"});
    std::ifstream self("/proc/self/status");
    std::string line, own;
    while (std::getline(self, line))
        if (line.starts_with("CapPrm:")) own = line.substr(line.find('\t') + 1);
    auto confined = cntr_exec(c.name(), {"grep", "^CapEff:", "/proc/self/status"});
    EXPECT_EQ(confined.out, "CapEff:\t0000000800000000\n") << confined.err;  // only the fence
    auto elevated =
        cntr_exec(c.name(), {"grep", "^CapEff:", "/proc/self/status"}, {"--elevate", "caps"});
    EXPECT_EQ(elevated.exit_code, 0) << elevated.err;
    EXPECT_EQ(elevated.out, "CapEff:\t" + own + "\n") << elevated.err;
}
