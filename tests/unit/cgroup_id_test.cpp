// Container IDs as Kubernetes reports them, and the cgroup paths of each runtime and
// cgroup driver (texts as the kernel prints /proc/PID/cgroup for them).
#include "resolve/cgroup_id.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace cntr;

namespace {

const std::string kId = "3f5c2a9be1d04c7f8a6b5e4d3c2b1a09f8e7d6c5b4a3928170f6e5d4c3b2a190";
const std::string kOther = "0000000000000000000000000000000000000000000000000000000000000abc";

}  // namespace

TEST(CgroupId, ReferencesOfEachRuntimeGiveTheId) {
    EXPECT_EQ(container_id_of_reference("containerd://" + kId), kId);
    EXPECT_EQ(container_id_of_reference("cri-o://" + kId), kId);
    EXPECT_EQ(container_id_of_reference("docker://" + kId), kId);
    EXPECT_EQ(container_id_of_reference(kId), kId);
    // Names, short IDs and other schemes are for the other engines.
    EXPECT_EQ(container_id_of_reference("web"), std::nullopt);
    EXPECT_EQ(container_id_of_reference(kId.substr(0, 12)), std::nullopt);
    EXPECT_EQ(container_id_of_reference("docker://" + kId.substr(0, 12)), std::nullopt);
    EXPECT_EQ(container_id_of_reference("rkt://" + kId), std::nullopt);
    EXPECT_EQ(container_id_of_reference("containerd://" + kId + "/x"), std::nullopt);
}

TEST(CgroupId, EveryDriverAndVersionIsRecognised) {
    // cgroup v1, cgroupfs driver (kubelet): the ID under the pod's cgroup.
    EXPECT_TRUE(cgroup_names_container(
        "12:pids:/kubepods/burstable/pod5d1c6b1e-52f4-4b36-9c1a-0d5f3a7e9b21/" + kId +
            "\n1:name=systemd:/kubepods/burstable/pod5d1c6b1e/" + kId + "\n",
        kId));
    // cgroup v2, systemd driver, containerd and CRI-O.
    EXPECT_TRUE(cgroup_names_container(
        "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/"
        "cri-containerd-" +
            kId + ".scope\n",
        kId));
    EXPECT_TRUE(cgroup_names_container(
        "0::/kubepods.slice/kubepods-pod1.slice/crio-" + kId + ".scope\n", kId));
    // docker, both drivers, and a process in a child cgroup of the container.
    EXPECT_TRUE(cgroup_names_container("3:cpu,cpuacct:/docker/" + kId + "\n", kId));
    EXPECT_TRUE(cgroup_names_container("0::/system.slice/docker-" + kId + ".scope\n", kId));
    EXPECT_TRUE(
        cgroup_names_container("0::/system.slice/docker-" + kId + ".scope/init.scope\n", kId));
}

TEST(CgroupId, OtherContainersAndMonitorsAreNotTheContainer) {
    EXPECT_FALSE(cgroup_names_container("0::/system.slice/docker-" + kOther + ".scope\n", kId));
    EXPECT_FALSE(cgroup_names_container("0::/\n", kId));
    EXPECT_FALSE(cgroup_names_container("", kId));
    // CRI-O's conmon is named after the container but is the runtime's.
    EXPECT_FALSE(cgroup_names_container("0::/kubepods.slice/crio-conmon-" + kId + ".scope\n", kId));
    // A cgroup a container created under its own, named after another container.
    EXPECT_FALSE(
        cgroup_names_container("0::/system.slice/docker-" + kOther + ".scope/" + kId + "\n", kId));
    EXPECT_FALSE(
        cgroup_names_container("4:memory:/docker/" + kOther + "/docker-" + kId + ".scope\n", kId));
    // A prefix of the ID is not the ID.
    EXPECT_FALSE(cgroup_names_container("4:memory:/docker/" + kId + "0\n", kId));
}
