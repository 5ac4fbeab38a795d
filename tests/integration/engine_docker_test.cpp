// docker through its CLI fallback (CNTR_DOCKER_CLI=1, as when DOCKER_HOST is
// not a local socket): names, id prefixes, stopped/paused errors, cntr ps.
#include <gtest/gtest.h>

#include "docker_container.hpp"
#include "engine_support.hpp"

using namespace cntr::test;

TEST(EngineDockerCli, AttachAndExecByNameAndIdPrefix) {
    DockerContainer c({"--hostname", "cli-host"});
    auto a = cntr_env({"CNTR_DOCKER_CLI=1"}, {"attach", c.name(), "--", "hostname"});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_EQ(a.out, "cli-host\n");
    auto e = cntr_env({"CNTR_DOCKER_CLI=1"},
                      {"exec", "-t", "docker", c.id().substr(0, 12), "--", "hostname"});
    ASSERT_EQ(e.exit_code, 0) << e.err;
    EXPECT_EQ(e.out, "cli-host\n");
    EXPECT_NE(ps_rows({"CNTR_DOCKER_CLI=1"}).find("docker " + c.name() + " "), std::string::npos);
}

TEST(EngineDockerCli, PausedAndStoppedSaySo) {
    DockerContainer c;
    must("docker pause " + c.name());
    auto paused = cntr_env({"CNTR_DOCKER_CLI=1"}, {"attach", c.name(), "--", "true"});
    must("docker unpause " + c.name() + " && docker stop -t 0 " + c.name());
    EXPECT_EQ(paused.exit_code, 125);
    EXPECT_NE(paused.err.find("docker unpause " + c.name()), std::string::npos) << paused.err;
    auto stopped = cntr_env({"CNTR_DOCKER_CLI=1"}, {"attach", c.name(), "--", "true"});
    EXPECT_EQ(stopped.exit_code, 125);
    EXPECT_NE(stopped.err.find("docker start " + c.name()), std::string::npos) << stopped.err;
}

TEST(EngineDockerCli, TcpDockerHostUsesTheCli) {
    // A DOCKER_HOST that is no unix socket: the API path is skipped and the
    // CLI (pointed back at the local daemon by its own --host) answers.
    DockerContainer c({"--hostname", "tcp-host"});
    const std::string dir = must("mktemp -d /tmp/cntrt-dockercli.XXXXXX");
    OnExit rm("rm -rf " + dir);
    // The wrapper leaves a mark, so the test sees that the CLI answered (the daemon
    // behind it is the same either way).
    must("printf '#!/bin/sh\\necho ran >> " + dir +
         "/ran\\nexec /usr/bin/docker --host unix:///var/run/docker.sock \"$@\"\\n' > " + dir +
         "/docker && chmod +x " + dir + "/docker");
    const char* path = std::getenv("PATH");
    auto r = cntr_env({"DOCKER_HOST=tcp://127.0.0.1:1", "PATH=" + dir + ":" + (path ? path : "")},
                      {"exec", c.name(), "--", "hostname"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "tcp-host\n");
    EXPECT_EQ(sh("test -s " + dir + "/ran").exit_code, 0) << "the docker CLI was not used";
}

TEST(EngineDocker, FullIdSeenByDockerAndContainerdIsOneContainer) {
    // dockerd's containerd shows the container in its "moby" namespace under
    // the same id: the same process through two engines is no ambiguity.
    DockerContainer c;
    auto r = run({kCntr, "resolve", c.id()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "docker " + std::to_string(c.pid()) + " " + c.name() + "\n");
    auto moby = run({kCntr, "resolve", "-t", "containerd", c.id()});
    ASSERT_EQ(moby.exit_code, 0) << moby.err;
    EXPECT_EQ(moby.out, "containerd " + std::to_string(c.pid()) + " " + c.id() + "\n");
}
