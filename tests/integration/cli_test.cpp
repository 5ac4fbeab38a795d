// The command line: help, version, and every error a user can cause.
#include <gtest/gtest.h>

#include "cntr_binary.hpp"
#include "docker_container.hpp"

using namespace cntr::test;

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
