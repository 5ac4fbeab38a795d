// The cgroup engine (cntr/resolve/cgroup_id.hpp): a container by the ID Kubernetes
// prints for it, runtime prefix included, found by its cgroup alone.
#include <gtest/gtest.h>

#include <string>

#include "cntr_binary.hpp"
#include "docker_container.hpp"

using namespace cntr::test;

TEST(AttachById, RuntimePrefixedIdsReachTheContainerByItsCgroup) {
    DockerContainer c;
    ASSERT_EQ(c.id().size(), 64U) << c.id();
    const std::string hostname = c.exec({"hostname"}).out;
    for (const std::string prefix : {"containerd://", "docker://", "cri-o://", ""}) {
        // -t cgroup alone: no docker socket, CLI or name involved.
        auto r = run({kCntr, "attach", "-t", "cgroup", prefix + c.id(), "--", "sh", "-c",
                      "hostname; cat /proc/1/cmdline | tr '\\0' ' '"});
        ASSERT_EQ(r.exit_code, 0) << prefix << ": " << r.err;
        EXPECT_EQ(r.out, hostname + "sleep 1000000 ") << prefix;
    }
    // By default too: the engines that know names do not know "containerd://ID".
    auto r = run({kCntr, "attach", "containerd://" + c.id(), "--", "hostname"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, hostname);
}

TEST(AttachById, AnIdNoProcessIsInIsNotFound) {
    const std::string id(64, 'e');
    auto r = run({kCntr, "attach", "-t", "cgroup", "containerd://" + id, "--", "true"});
    EXPECT_EQ(r.exit_code, 125);
    EXPECT_NE(r.err.find("containerd://" + id), std::string::npos) << r.err;
}
