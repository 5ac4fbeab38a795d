// Attacks on a debug session from a process of the container (issue 12, rows 1, 2
// and 8): a process started with `docker exec` - the container's uid, capabilities
// and seccomp filter, no CAP_SYS_PTRACE - reaches the session through
// /proc/<session pid>/root while an admin runs `cntr attach`, and afterwards. Each
// test fails if the attack works; each was seen to fail against cff1d5d.
//
// Since the ptrace fence (session_confinement.md), a container process without
// CAP_SYS_PTRACE cannot open /proc/<session pid>/root at all. So that each row's
// own defence is still tested, the attacks run twice where it matters: with every
// layer, and with the fence lifted (`--elevate fence`), which leaves only the
// tools' own defences (read-only, unprivileged server, ending the connection).
//
// The session's command writes its PID (in the container's PID namespace) to the
// container's /tmp and waits for the attacker to say it is done, so the attack runs
// while the session certainly exists, without sleeps.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "cntr_binary.hpp"
#include "docker_container.hpp"
#include "x11_listener.hpp"

using namespace cntr::test;
using namespace std::chrono_literals;

namespace {

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// A host file or directory made for one test, removed however it ends.
struct HostPath {
    std::string path;
    HostPath(std::string p, const std::string& text, mode_t mode, uid_t uid = 0)
        : path(std::move(p)) {
        std::ofstream(path) << text;
        ::chmod(path.c_str(), mode);
        if (::chown(path.c_str(), uid, uid) != 0) ADD_FAILURE() << "chown " << path;
    }
    explicit HostPath(std::string p, mode_t mode = 0755) : path(std::move(p)) {
        ::mkdir(path.c_str(), mode);
        ::chmod(path.c_str(), mode);
    }
    HostPath(const HostPath&) = delete;
    HostPath& operator=(const HostPath&) = delete;
    ~HostPath() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

// The shell loop that announces the session and keeps it open until the attacker
// has finished (its marker appears in the container's /tmp).
std::string session_script() {
    return "echo $$ > /var/lib/cntr/tmp/cntr-session-pid; "
           "while [ ! -e /var/lib/cntr/tmp/cntr-attack-done ]; do sleep 0.1; done";
}

// The attacker's prologue: wait for the session, then $p is its PID.
std::string attacker_prologue() {
    return "for i in $(seq 300); do [ -s /tmp/cntr-session-pid ] && break; sleep 0.1; done; "
           "p=$(cat /tmp/cntr-session-pid); ";
}

// Runs `cntr attach [extra...] CONTAINER -- sh -c session_script()` in the background
// and `attack` (a shell script run by `docker exec [exec_args] CONTAINER sh -c`)
// against it; the attacker's last step ends the session. Returns the attacker's
// result; `session` receives cntr's.
ProcessResult attack_session(const DockerContainer& c, const std::vector<std::string>& extra,
                             const std::vector<std::string>& exec_args, const std::string& attack,
                             ProcessResult* session = nullptr) {
    c.exec({"rm", "-f", "/tmp/cntr-session-pid", "/tmp/cntr-attack-done"});
    std::vector<std::string> argv = {kCntr, "attach"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.insert(argv.end(), {c.name(), "--", "sh", "-c", session_script()});
    auto cntr = std::async(std::launch::async, [argv] { return run(argv); });
    std::vector<std::string> exec = {"docker", "exec"};
    exec.insert(exec.end(), exec_args.begin(), exec_args.end());
    exec.insert(exec.end(),
                {c.name(), "sh", "-c",
                 attacker_prologue() + "( " + attack + " ); touch /tmp/cntr-attack-done"});
    ProcessResult r = run(exec);
    // However the attack went, the session must end (the marker may not exist if the
    // attacker failed early).
    c.exec({"touch", "/tmp/cntr-attack-done"});
    ProcessResult s = cntr.get();
    if (session != nullptr) *session = s;
    EXPECT_EQ(s.exit_code, 0) << s.err;
    return r;
}

std::string unique(const std::string& what) { return what + "-" + std::to_string(::getpid()); }

// Every layer, and the tools' defences alone (the ptrace fence lifted).
const std::vector<std::vector<std::string>> kLayerSets = {{}, {"--elevate", "fence"}};

std::string layers_name(const std::vector<std::string>& extra) {
    return extra.empty() ? "all layers" : "--elevate fence";
}

// A line of `text` starting with `prefix` (an /etc/shadow entry, not an error
// message that happens to contain "root:").
bool has_line_starting(const std::string& text, const std::string& prefix) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.starts_with(prefix)) return true;
    return false;
}

// The first line where `now` and `before` differ ("" when they are equal): a
// fingerprint of a whole tree is too long to print.
std::string first_difference(const std::string& now, const std::string& before) {
    std::istringstream a(now), b(before);
    std::string la, lb;
    while (true) {
        const bool ga = static_cast<bool>(std::getline(a, la));
        const bool gb = static_cast<bool>(std::getline(b, lb));
        if (!ga && !gb) return "";
        if (!ga || !gb || la != lb)
            return "now \"" + (ga ? la : "(end)") + "\", before \"" + (gb ? lb : "(end)") + "\"";
    }
}

}  // namespace

// Row 1: host files that are not world-readable stay unreadable: a root-only file in
// /root, the host's /etc/shadow, for container root with docker's default capabilities
// and with none.
TEST(AttachSecurity, ContainerRootCannotReadRootOnlyHostFilesThroughTheSession) {
    HostPath secret("/root/" + unique("cntr-security-secret"), "HOST-ROOT-SECRET\n", 0600);
    for (const std::vector<std::string>& docker_args :
         {std::vector<std::string>{}, std::vector<std::string>{"--cap-drop=ALL"}}) {
        DockerContainer c(docker_args);
        for (const auto& layers : kLayerSets) {
            auto r = attack_session(c, layers, {},
                                    "cat /proc/$p/root" + secret.path +
                                        " /proc/$p/root/etc/shadow 2>&1; ls /proc/$p/root/root "
                                        "2>&1 | sed 's/^/LS:/'");
            const std::string what = (docker_args.empty() ? "default caps" : docker_args[0]) +
                                     ", " + layers_name(layers);
            EXPECT_EQ(r.out.find("HOST-ROOT-SECRET"), std::string::npos) << what << ": " << r.out;
            EXPECT_FALSE(has_line_starting(r.out, "root:"))
                << what << ": read /etc/shadow: " << r.out;
            EXPECT_EQ(r.out.find("LS:" + unique("cntr-security-secret")), std::string::npos)
                << what << ": listed /root: " << r.out;
        }
    }
}

// Row 1, a container user: host uid 1000's private file stays private from the
// container's uid 1000.
TEST(AttachSecurity, ContainerUserCannotReadTheSameHostUsersPrivateFiles) {
    HostPath dir("/srv/" + unique("cntr-security-user"), 0755);
    HostPath secret(dir.path + "/private", "HOST-USER-SECRET\n", 0600, 1000);
    DockerContainer c({"--user", "1000"});
    for (const auto& layers : kLayerSets) {
        auto r = attack_session(c, layers, {"--user", "1000"},
                                "cat /proc/$p/root" + secret.path + " 2>&1");
        EXPECT_EQ(r.out.find("HOST-USER-SECRET"), std::string::npos)
            << layers_name(layers) << ": " << r.out;
    }
}

// Row 1: no host file can be written or created through the session.
TEST(AttachSecurity, ContainerRootCannotWriteHostFilesThroughTheSession) {
    HostPath dir("/srv/" + unique("cntr-security-write"), 0755);
    HostPath target(dir.path + "/target", "ORIGINAL\n", 0644);
    DockerContainer c;
    for (const auto& layers : kLayerSets) {
        auto r = attack_session(c, layers, {},
                                "echo OVERWRITTEN > /proc/$p/root" + target.path +
                                    "; echo x > /proc/$p/root" + dir.path +
                                    "/created; mkdir /proc/$p/root" + dir.path + "/d");
        EXPECT_EQ(read_text(target.path), "ORIGINAL\n") << layers_name(layers) << ": " << r.err;
        EXPECT_FALSE(std::filesystem::exists(dir.path + "/created")) << layers_name(layers);
        EXPECT_FALSE(std::filesystem::exists(dir.path + "/d")) << layers_name(layers);
    }
}

// Row 1, positive: --writable-tools restores writes to the tools (documented opt-in).
TEST(AttachSecurity, WritableToolsRestoresWritesToTheTools) {
    HostPath dir("/srv/" + unique("cntr-security-writable"), 0755);
    DockerContainer c;
    auto r = run({kCntr, "attach", "--writable-tools", c.name(), "--", "sh", "-c",
                  "echo from-session > " + dir.path + "/written"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(read_text(dir.path + "/written"), "from-session\n");
}

// Row 1, positive: the read-only session still has a writable /tmp, /var/tmp and home
// of its own; none of it reaches the host or the container, and it is gone afterwards.
TEST(AttachSecurity, SessionHasPrivateWritableScratchThatDisappears) {
    DockerContainer c;
    const std::string name = unique("cntr-scratch");
    // Where the files would land on the host if the scratch were missing: removed
    // however the test ends.
    struct Leftovers {
        std::string name;
        ~Leftovers() {
            for (const std::string dir : {"/tmp/", "/var/tmp/", "/root/", "/usr/"})
                ::unlink((dir + name).c_str());
        }
    } leftovers{name};
    auto r =
        attach_sh(c.name(), "echo a > /tmp/" + name + " && echo b > /var/tmp/" + name +
                                " && echo c > $HOME/" + name + " && echo HOME=$HOME && cat /tmp/" +
                                name + " /var/tmp/" + name + " $HOME/" + name + " && touch /usr/" +
                                name + " 2>&1; echo usr-$?");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("HOME=/root\na\nb\nc\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Read-only file system"), std::string::npos) << r.out;
    for (const std::string dir : {"/tmp/", "/var/tmp/", "/root/", "/usr/"})
        EXPECT_FALSE(std::filesystem::exists(dir + name)) << "on the host: " << dir + name;
    auto in_container = c.exec({"sh", "-c", "ls /tmp/" + name + " /var/tmp/" + name + " 2>&1"});
    EXPECT_EQ(in_container.out.find(name + "\n"), std::string::npos) << in_container.out;
    auto again = attach_sh(c.name(), "ls /tmp/" + name + " 2>&1; true");
    EXPECT_NE(again.out.find("No such file"), std::string::npos) << again.out;
}

// Row 2: a container process that kept a directory of the tools as its cwd reads
// nothing of the host once the session has ended, not even files made later. The
// fence is lifted so that the holder can take the cwd at all (with it, the cd
// itself is refused): what is tested is that the connection ends.
TEST(AttachSecurity, HeldCwdInTheToolsReachesNothingAfterTheSession) {
    HostPath dir("/srv/" + unique("cntr-security-after"), 0755);
    DockerContainer c;
    // The holder: cd into the tools through the session's root, say so, wait until the
    // test says the session is over, then try to read.
    auto holder = std::async(std::launch::async, [&] {
        return run({"docker", "exec", c.name(), "sh", "-c",
                    attacker_prologue() + "cd /proc/$p/root" + dir.path +
                        " || exit 3; touch /tmp/cntr-attack-done; "
                        "for i in $(seq 600); do [ -e /tmp/cntr-session-over ] && break; sleep "
                        "0.1; done; cat ./later 2>&1; ls . 2>&1; echo holder-done"},
                   {}, 120s);
    });
    // A deadline shorter than the holder's: a server left serving (the old behaviour)
    // keeps cntr's stderr open, and the attack must still get its chance then.
    auto s =
        run({kCntr, "attach", "--elevate", "fence", c.name(), "--", "sh", "-c", session_script()},
            {}, 20s);
    EXPECT_EQ(s.exit_code, 0) << s.err;
    HostPath later(dir.path + "/later", "HOST-FILE-MADE-LATER\n", 0644);
    c.exec({"touch", "/tmp/cntr-session-over"});
    auto r = holder.get();
    EXPECT_NE(r.out.find("holder-done"), std::string::npos) << r.out << r.err;
    EXPECT_EQ(r.out.find("HOST-FILE-MADE-LATER"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("later\n"), std::string::npos) << "listed the host directory: " << r.out;
}

// Row 8: the host's X11 socket directory is not in the session unless asked for, so
// a container process cannot connect to a host socket there. With --host-sockets x11
// the session (and so the container) can: the opt-in is real.
TEST(AttachSecurity, HostSocketsAreOnlyThereWhenAskedFor) {
    // A container that can run the host's python3 (for a Unix socket client).
    DockerContainer c({"-v", "/usr:/usr:ro", "-v", "/lib:/lib:ro", "-v", "/lib64:/lib64:ro"});
    // The backlog takes the connections; nothing accepts them.
    HostX11Listener server(unique("cntr-security-x"), 8);
    const std::string& path = server.path();
    const std::string client =
        "python3 -c \"import socket,sys; s = socket.socket(socket.AF_UNIX); "
        "s.connect(sys.argv[1]); print('CONNECTED')\" /proc/$p/root" +
        path + " 2>&1 | tail -1";
    // The fence lifted: with it the container reaches nothing under /proc/<pid>/root.
    auto by_default = attack_session(c, {"--elevate", "fence"}, {}, client);
    EXPECT_EQ(by_default.out.find("CONNECTED"), std::string::npos) << by_default.out;
    auto asked = attack_session(c, {"--elevate", "fence", "--host-sockets", "x11"}, {}, client);
    EXPECT_NE(asked.out.find("CONNECTED"), std::string::npos) << asked.out << asked.err;
}

// Row 1, positive: debuggers still attach to the container's processes with read-only
// tools served as 65534 (they need ptrace rights over the target, not over the tools).
TEST(AttachSecurity, DebuggersStillAttachUnderReadOnlyTools) {
    DockerContainer c;
    auto r = attach_sh(c.name(),
                       "gdb -p 1 -batch -ex 'print 6*7' 2>/dev/null | grep '^\\$1'; "
                       "timeout -s INT 2 strace -p 1 2>&1 | head -1");
    EXPECT_NE(r.out.find("$1 = 42"), std::string::npos) << r.out << r.err;
    EXPECT_NE(r.out.find("Process 1 attached"), std::string::npos) << r.out << r.err;
}

// Row 2, the opt-in: with --keep-serving a background job of the session still finds
// the tools after the command has exited; without it, it does not.
TEST(AttachSecurity, KeepServingKeepsTheToolsForBackgroundJobs) {
    DockerContainer c;
    const std::string job =
        "(sleep 2; test -x /usr/bin/gdb && echo bg-ok > /var/lib/cntr/tmp/bg) "
        "</dev/null >/dev/null 2>&1 &";
    auto by_default = run({kCntr, "attach", c.name(), "--", "sh", "-c", job});
    ASSERT_EQ(by_default.exit_code, 0) << by_default.err;
    std::this_thread::sleep_for(4s);
    EXPECT_NE(trim(c.exec({"cat", "/tmp/bg"}).out), "bg-ok");
    auto kept = run({kCntr, "attach", "--keep-serving", c.name(), "--", "sh", "-c", job});
    ASSERT_EQ(kept.exit_code, 0) << kept.err;
    EXPECT_NE(kept.err.find("--keep-serving"), std::string::npos) << kept.err;
    EXPECT_TRUE(eventually([&] { return trim(c.exec({"cat", "/tmp/bg"}).out) == "bg-ok"; }, 10s));
}

// Row 12: the container's /etc/group decides the session's supplementary groups
// (as `docker exec -u` does), so it must not decide access to host files: a group
// line naming a host group gives the session that gid in the container, never the
// host files of that group (the tools server answers as 65534, whatever the gids).
TEST(AttachSecurity, ContainerGroupLinesGrantNoHostGroupFiles) {
    constexpr gid_t kHostGroup = 4242;
    HostPath dir("/srv/" + unique("cntr-security-group"), 0755);
    HostPath secret(dir.path + "/group-secret", "HOST-GROUP-SECRET\n", 0640);
    ASSERT_EQ(::chown(secret.path.c_str(), 0, kHostGroup), 0);
    DockerContainer c;
    ASSERT_EQ(c.exec({"sh", "-c", "echo cntrsecret:x:4242:app >> /etc/group"}).exit_code, 0);
    auto r = run({kCntr, "attach", "-u", "app", c.name(), "--", "sh", "-c",
                  "id -G; cat " + secret.path + " 2>&1; true"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // The session has the gid, as docker exec -u app would: the test means something.
    EXPECT_NE(r.out.find("4242"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("HOST-GROUP-SECRET"), std::string::npos) << r.out;
}

// Row 1 for the other tool sources: a container process must not change a tool image
// in the store (every later session, on any container, would run what it wrote) nor
// the fat container that lends its tools (one container must not reach another).
// Attacked with every layer and with the fence lifted.
TEST(AttachSecurity, ContainerCannotChangeAToolImageOrAFatContainerThroughTheSession) {
    const std::string attack =
        "echo TROJAN > /proc/$p/root/etc/trojan; echo x >> /proc/$p/root/etc/passwd; "
        "rm -f /proc/$p/root/bin/ls; mkdir /proc/$p/root/trojan-dir; "
        "mv /proc/$p/root/bin/cat /proc/$p/root/bin/cat2; "
        "chmod 4755 /proc/$p/root/bin/busybox; ln -s / /proc/$p/root/trojan-link; "
        "truncate -s 0 /proc/$p/root/bin/busybox; true";
    // Names, sizes, modes and content of every file: what a later session would run.
    const std::string fingerprint =
        "cd \"$0\" && find . -xdev | sort && find . -xdev -type f -exec md5sum {} + | sort && "
        "find . -xdev -exec stat -c '%n %s %a %u' {} + | sort";

    // A store of the test's own, gone (with the variable naming it) however it ends.
    struct TestStore {
        std::filesystem::path dir;
        TestStore() {
            std::string tmpl = "/tmp/cntr-tools-attack.XXXXXX";
            dir = ::mkdtemp(tmpl.data());
            ::setenv("CNTR_IMAGE_STORE", (dir / "store").c_str(), 1);
        }
        TestStore(const TestStore&) = delete;
        TestStore& operator=(const TestStore&) = delete;
        ~TestStore() {
            ::unsetenv("CNTR_IMAGE_STORE");
            std::error_code ec;
            std::filesystem::remove_all(dir, ec);
        }
    } store;
    const std::filesystem::path& dir = store.dir;
    const std::string archive = (dir / "tools.tar").string();
    ASSERT_EQ(run({"docker", "save", "-o", archive, kTestImage}).exit_code, 0);
    DockerContainer c;
    // Brings the image into the store before the fingerprint is taken.
    auto imported =
        run({kCntr, "attach", "--tools", "docker-archive:" + archive, c.name(), "--", "true"});
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
    const std::string rootfs = (dir / "store" / "rootfs").string();
    const std::string image_before = run({"sh", "-c", fingerprint, rootfs}).out;
    for (const auto& layers : kLayerSets) {
        std::vector<std::string> extra = {"--tools", "docker-archive:" + archive};
        extra.insert(extra.end(), layers.begin(), layers.end());
        auto r = attack_session(c, extra, {}, attack);
        EXPECT_EQ(first_difference(run({"sh", "-c", fingerprint, rootfs}).out, image_before), "")
            << "tool image changed, " << layers_name(layers) << ": " << r.out << r.err;
    }
    EXPECT_GT(image_before.size(), 100u) << "the fingerprint saw nothing";

    DockerContainer fat;
    // cntr makes the fat container's /var/lib/cntr (the mount point) once.
    ASSERT_EQ(run({kCntr, "attach", "--tools", "container:" + fat.name(), c.name(), "--", "true"})
                  .exit_code,
              0);
    const std::string fat_before = fat.exec({"sh", "-c", fingerprint, "/"}).out;
    ASSERT_GT(fat_before.size(), 100u) << "the fingerprint saw nothing";
    for (const auto& layers : kLayerSets) {
        std::vector<std::string> extra = {"--tools", "container:" + fat.name()};
        extra.insert(extra.end(), layers.begin(), layers.end());
        auto r = attack_session(c, extra, {}, attack);
        EXPECT_EQ(first_difference(fat.exec({"sh", "-c", fingerprint, "/"}).out, fat_before), "")
            << "fat container changed, " << layers_name(layers) << ": " << r.out << r.err;
    }
}
