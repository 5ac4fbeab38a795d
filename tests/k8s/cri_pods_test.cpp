// Pods made through containerd's CRI plugin as kubelet makes them (cri.py): cntr finds
// their containers by the ID Kubernetes reports (the cgroup engine) and by
// namespace/pod/container (the kubernetes engine, from the CRI labels), and serves the
// tools of a second container of the pod.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cntr_binary.hpp"

using namespace cntr::test;

namespace {

const std::string kSocket = "/run/cntr-test/cri/state/containerd.sock";
const std::string kImage = "docker.io/library/cntr-test-slim:latest";

class CriPods : public ::testing::Test {
  protected:
    void SetUp() override { ::setenv("CONTAINERD_ADDRESS", kSocket.c_str(), 1); }
    void TearDown() override {
        ::unsetenv("CONTAINERD_ADDRESS");
        auto down = cri({"down"});
        EXPECT_EQ(down.exit_code, 0) << down.err;
    }

    static ProcessResult cri(std::vector<std::string> args) {
        std::vector<std::string> argv = {"/usr/bin/python3", CRI_CLIENT, "--socket", kSocket};
        argv.insert(argv.end(), args.begin(), args.end());
        return run(argv);
    }
    // Runs pod NAMESPACE/NAME with `containers` (NAME=IMAGE); its sandbox, uid and IDs.
    static nlohmann::json pod(const std::string& ns, const std::string& name,
                              const std::vector<std::string>& containers) {
        std::vector<std::string> args = {"pod", ns, name};
        args.insert(args.end(), containers.begin(), containers.end());
        auto r = cri(args);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return nlohmann::json::parse(r.out, nullptr, false);
    }
};

}  // namespace

TEST_F(CriPods, ContainerIdAsKubernetesPrintsItAndPodNamesReachTheContainer) {
    auto p = pod("shop", "web", {"app=" + kImage});
    ASSERT_TRUE(p.is_object());
    const std::string id = p["containers"]["app"];
    const std::string uid = p["uid"];
    // The session joins the container's cgroup: kubelet's layout, with the pod's UID.
    const std::string script =
        "cat /proc/1/cmdline | tr '\\0' ' '; echo; grep -q "
        "'/kubepods/besteffort/pod" +
        uid + "/" + id + "$' /proc/self/cgroup && echo in-the-pods-cgroup";
    for (const std::string& target :
         {"containerd://" + id, id, std::string("shop/web/app"), std::string("shop/web")}) {
        auto r = run({kCntr, "attach", target, "--", "sh", "-c", script});
        ASSERT_EQ(r.exit_code, 0) << target << ": " << r.err;
        EXPECT_EQ(r.out, "sleep 1000000 \nin-the-pods-cgroup\n") << target;
    }
    // The same ID through -t cgroup alone, with no containerd socket to ask.
    ::unsetenv("CONTAINERD_ADDRESS");
    auto r = run({kCntr, "attach", "-t", "cgroup", "containerd://" + id, "--", "true"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(CriPods, ToolsFromASecondContainerOfThePod) {
    auto p = pod("shop", "cart", {"app=" + kImage, "tools=" + kImage});
    ASSERT_TRUE(p.is_object());
    const std::string app = p["containers"]["app"];
    const std::string tools = p["containers"]["tools"];
    // A file only the tools container has, written by its own process.
    auto mark = run({kCntr, "exec", "containerd://" + tools, "--", "sh", "-c",
                     "echo from-the-tools-container > /tools-marker"});
    ASSERT_EQ(mark.exit_code, 0) << mark.err;
    auto r = run({kCntr, "attach", "--tools", "container:containerd://" + tools,
                  "containerd://" + app, "--", "sh", "-c",
                  "cat /tools-marker; test -e /var/lib/cntr/tools-marker || echo app-has-none"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "from-the-tools-container\napp-has-none\n");
}

// cntr's own image (packaging/image) in a privileged hostPID pod, as kubectl cntr runs
// it, next to the pod it debugs: by the ID Kubernetes reports, with the image's own
// busybox as the tools and with a second container of the target pod as the tools.
TEST_F(CriPods, CntrImageInAPrivilegedHostPidPodAttachesToItsNeighbours) {
    std::string tmpl = "/tmp/cntr-cri-image.XXXXXX";
    const std::filesystem::path dir = ::mkdtemp(tmpl.data());
    const std::string tar = (dir / "cntr-image.tar").string();
    const std::string ref = "docker.io/library/cntr-cri-test:local";
    auto built =
        run({std::string(CNTR_SOURCE_DIR) + "/packaging/image/build-image.sh", "--build-dir",
             CNTR_RELEASE_BUILD_DIR, "--tag", "cntr-cri-test:local", "--output", tar},
            {}, std::chrono::seconds(300));
    ASSERT_EQ(built.exit_code, 0) << built.err;
    const std::vector<std::string> ctr = {"ctr", "--address", kSocket, "--namespace", "k8s.io"};
    auto with = [&](std::vector<std::string> args) {
        std::vector<std::string> argv = ctr;
        argv.insert(argv.end(), args.begin(), args.end());
        return run(argv);
    };
    auto imported = with({"images", "import", tar});
    std::filesystem::remove_all(dir);
    ASSERT_EQ(imported.exit_code, 0) << imported.err;

    auto target = pod("shop", "api", {"app=" + kImage, "tools=" + kImage});
    auto helper = pod("kube-system", "cntr-helper", {"cntr=" + ref + ":privileged", "--host-pid"});
    ASSERT_TRUE(target.is_object());
    ASSERT_TRUE(helper.is_object());
    const std::string app = target["containers"]["app"];
    const std::string tools = target["containers"]["tools"];
    const std::string cntr = helper["containers"]["cntr"];
    ASSERT_EQ(run({kCntr, "exec", "containerd://" + tools, "--", "sh", "-c",
                   "echo from-the-tools-container > /tools-marker"})
                  .exit_code,
              0);
    int exec_id = 0;
    auto in_helper = [&](std::vector<std::string> args) {
        std::vector<std::string> argv = {"tasks", "exec", "--exec-id",
                                         "t" + std::to_string(++exec_id), cntr};
        argv.insert(argv.end(), args.begin(), args.end());
        return with(argv);
    };
    // The image's busybox as the tools: the app's files at /var/lib/cntr, its PID 1.
    const std::string script =
        "cat /proc/1/cmdline | tr '\\0' ' '; test -x /usr/bin/cntr && echo image-tools; "
        "test -e /var/lib/cntr/bin/busybox && echo app-root; exit 3";
    auto own = in_helper({"cntr", "attach", "containerd://" + app, "--", "sh", "-c", script});
    EXPECT_EQ(own.exit_code, 3) << own.err;
    EXPECT_EQ(own.out, "sleep 1000000 image-tools\napp-root\n") << own.err;
    auto second = in_helper({"cntr", "attach", "--tools", "container:containerd://" + tools,
                             "containerd://" + app, "--", "cat", "/tools-marker"});
    EXPECT_EQ(second.exit_code, 0) << second.err;
    EXPECT_EQ(second.out, "from-the-tools-container\n");
    // Nothing of a session stays in the helper.
    auto ps = in_helper({"ps", "-o", "comm"});
    EXPECT_EQ(ps.out.find("cntrfs-server"), std::string::npos) << ps.out;
    EXPECT_EQ(cri({"down"}).exit_code, 0);
    EXPECT_EQ(with({"images", "rm", ref}).exit_code, 0);
}
