// The command line: help, version, and every error a user can cause.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>

#include "cntr_binary.hpp"
#include "docker_container.hpp"

using namespace cntr::test;

namespace {

// A Unix socket file nothing listens on, as dockerd leaves behind when it dies:
// connect() gets ECONNREFUSED.
struct DeadSocket {
    std::string dir = [] {
        std::string tmpl = "/tmp/cntrt-deadsock.XXXXXX";
        return std::string(::mkdtemp(tmpl.data()));
    }();
    std::string path = dir + "/docker.sock";
    DeadSocket() {
        int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
        EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
        ::close(fd);
    }
    ~DeadSocket() { std::filesystem::remove_all(dir); }
    DeadSocket(const DeadSocket&) = delete;
    DeadSocket& operator=(const DeadSocket&) = delete;
};

ProcessResult cntr_with_env(const std::string& env, std::vector<std::string> args) {
    args.insert(args.begin(), {"env", env, kCntr});
    return run(args);
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

}  // namespace

TEST(Cli, EngineDownIsTheErrorNotNoSuchContainer) {
    // Issue 15, item 1: with dockerd down this read "no container 'cntr-demo' found".
    DeadSocket dead;
    const std::string expected = "cntr: error: docker: cannot connect to " + dead.path +
                                 ": connection refused - is dockerd running? (`-t` names other "
                                 "engines)";
    auto any = cntr_with_env("DOCKER_HOST=unix://" + dead.path, {"attach", "cntr-demo"});
    EXPECT_EQ(any.exit_code, 125);
    EXPECT_EQ(first_line(any.err), expected) << any.err;
    EXPECT_NE(any.err.find("\nno other engine knows 'cntr-demo'\n"), std::string::npos) << any.err;
    auto docker =
        cntr_with_env("DOCKER_HOST=unix://" + dead.path, {"attach", "-t", "docker", "cntr-demo"});
    EXPECT_EQ(docker.exit_code, 125);
    EXPECT_EQ(docker.err, expected + "\n");
}

TEST(Cli, PsSaysWhichEnginesItCouldNotAsk) {
    DeadSocket dead;
    auto down = cntr_with_env("DOCKER_HOST=unix://" + dead.path, {"ps", "-t", "docker"});
    EXPECT_EQ(down.exit_code, 125);
    EXPECT_EQ(down.err,
              "cntr: error: could not ask any container engine:\n  docker: cannot "
              "connect to " +
                  dead.path + ": connection refused - is dockerd running?\n");
    EXPECT_EQ(down.out, "") << "no table that reads as 'no containers'";
    // Not root: the docker socket refuses us. Whether another engine could be asked
    // (rootless podman) depends on the machine: 1 then, 125 when none could.
    auto user = run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", kCntr, "ps"});
    EXPECT_TRUE(user.exit_code == 1 || user.exit_code == 125) << user.exit_code;
    EXPECT_NE(user.err.find("docker: cannot connect to /var/run/docker.sock: permission denied - "
                            "run cntr as root (sudo)\n"),
              std::string::npos)
        << user.err;
}

TEST(Cli, HelpAndVersion) {
    for (auto args : std::vector<std::vector<std::string>>{
             {"--help"}, {"attach", "--help"}, {"exec", "--help"}}) {
        args.insert(args.begin(), kCntr);
        auto r = run(args);
        EXPECT_EQ(r.exit_code, 0) << args[1];
        EXPECT_NE(r.out.find("Usage"), std::string::npos) << r.out;
    }
    auto v = run({kCntr, "--version"});
    EXPECT_EQ(v.exit_code, 0);
    EXPECT_TRUE(v.out.starts_with("cntr ")) << v.out;
}

TEST(Cli, HelpCommandShortVersionAndOneUsageLine) {
    // Issue 15, items 5 and 8: `cntr help`, `cntr -V` read "A subcommand is required",
    // and `cntr attach --help` printed two Usage lines.
    auto help = run({kCntr, "help"});
    EXPECT_EQ(help.exit_code, 0) << help.err;
    EXPECT_EQ(help.out, run({kCntr, "--help"}).out);
    auto help_attach = run({kCntr, "help", "attach"});
    EXPECT_EQ(help_attach.exit_code, 0) << help_attach.err;
    auto attach_help = run({kCntr, "attach", "--help"});
    EXPECT_EQ(help_attach.out, attach_help.out);
    size_t usages = 0;
    for (size_t at = attach_help.out.find("Usage:"); at != std::string::npos;
         at = attach_help.out.find("Usage:", at + 1))
        ++usages;
    EXPECT_EQ(usages, 1u) << attach_help.out;
    EXPECT_NE(attach_help.out.find(
                  "\nUsage: cntr attach [OPTIONS] [--] CONTAINER [-- COMMAND [ARGS...]]\n"),
              std::string::npos)
        << attach_help.out;
    auto v = run({kCntr, "-V"});
    EXPECT_EQ(v.exit_code, 0);
    EXPECT_EQ(v.out, run({kCntr, "--version"}).out);
}

TEST(Cli, MistypedCommandSuggestsTheNearest) {
    auto r = run({kCntr, "attahc", "web"});
    EXPECT_EQ(r.exit_code, 125);
    EXPECT_EQ(r.err, "cntr: error: 'attahc' is not a cntr command; did you mean 'cntr attach'?\n");
    auto far = run({kCntr, "frobnicate"});
    EXPECT_EQ(far.exit_code, 125);
    EXPECT_EQ(far.err,
              "cntr: error: 'frobnicate' is not a cntr command; the commands are attach, exec, "
              "profiles, ps and help (see cntr --help)\n");
}

TEST(Cli, UnknownContainerNamesTheEnginesTried) {
    auto r = run({kCntr, "attach", "no-such-container-xyz"});
    EXPECT_EQ(r.exit_code, 125);
    // Which engines are tried depends on what is installed; docker first, process_id last.
    EXPECT_NE(r.err.find("no container 'no-such-container-xyz' found (tried: docker, "),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find(", process_id)"), std::string::npos) << r.err;
}

TEST(Cli, UnknownEngineType) {
    auto r = run({kCntr, "attach", "-t", "dokcer", "x"});
    EXPECT_EQ(r.exit_code, 125);
    EXPECT_NE(r.err.find("unknown container type 'dokcer'"), std::string::npos) << r.err;
}

TEST(Cli, MissingContainerArgument) {
    auto r = run({kCntr, "attach"});
    EXPECT_EQ(r.exit_code, 125);
    EXPECT_NE(r.err.find("container"), std::string::npos) << r.err;
}

TEST(Cli, NotRootSaysSo) {
    auto r =
        run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", kCntr, "attach", "1"});
    EXPECT_EQ(r.exit_code, 125);
    EXPECT_NE(r.err.find("must run as root"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("CAP_SYS_ADMIN"), std::string::npos) << r.err;
}

TEST(Cli, StoppedDockerContainerIsNotRunning) {
    DockerContainer c({}, {"true"});
    ASSERT_EQ(run({"docker", "wait", c.name()}).exit_code, 0);
    auto r = run({kCntr, "attach", c.name(), "--", "true"});
    EXPECT_EQ(r.exit_code, 125);
    EXPECT_NE(r.err.find("is not running"), std::string::npos) << r.err;
}

TEST(Cli, ResolvesByIdPrefixProcessIdAndCommandPattern) {
    DockerContainer c({}, {"sleep", "987654"});
    EXPECT_EQ(run({kCntr, "attach", c.id().substr(0, 12), "--", "true"}).exit_code, 0);
    EXPECT_EQ(
        run({kCntr, "attach", "-t", "process_id", std::to_string(c.pid()), "--", "true"}).exit_code,
        0);
    auto r = run({kCntr, "attach", "-t", "command", "sleep 987654", "--", "hostname"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(trim(r.out), c.id().substr(0, 12));
}
