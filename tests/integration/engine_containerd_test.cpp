// containerd (by container id, in any namespace) and Kubernetes pods (CRI
// labels on containers in containerd's k8s.io namespace, made here with
// `ctr run --label`), against the containerd of tests/engines/containerd-fixture.sh.
#include <gtest/gtest.h>

#include "engine_support.hpp"

using namespace cntr::test;

namespace {

const std::string kImage = "docker.io/library/cntr-test-slim:latest";

struct CtrContainer {
    CtrContainer(std::string ns_, const std::string& labels, const std::string& command)
        : ns(std::move(ns_)),
          id(unique_name("ctr")),
          guard("ctr -n " + ns + " tasks kill -s SIGKILL " + id +
                " >/dev/null 2>&1; for i in $(seq 50); do "
                "ctr -n " +
                ns + " tasks delete " + id +
                " >/dev/null 2>&1 && break; "
                "ctr -n " +
                ns + " tasks ls -q | grep -qx " + id +
                " || break; sleep 0.1; done; "
                "ctr -n " +
                ns + " containers delete " + id + " >/dev/null 2>&1") {
        must("ctr -n " + ns + " run -d --label cntr-test=1 " + labels + " " + kImage + " " + id +
             " " + command);
    }
    std::string ns;
    std::string id;
    OnExit guard;
};

std::string pod_labels(const std::string& pod, const std::string& container) {
    return "--label io.kubernetes.pod.name=" + pod +
           " --label io.kubernetes.pod.namespace=cntrtest" +
           " --label io.kubernetes.container.name=" + container;
}

}  // namespace

TEST(EngineContainerd, AttachAndExecByIdInAnyNamespace) {
    CtrContainer c("cntr-test", "", "sleep 1000000");
    auto a = run({kCntr, "attach", c.id, "--", "sh", "-c",
                  "test -L /var/lib/cntr/bin/sh && echo ok; cat /proc/1/cmdline | tr '\\0' ' '"});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_EQ(a.out, "ok\nsleep 1000000 ");
    auto e = run({kCntr, "exec", "-t", "containerd", c.id, "--", "sh", "-c",
                  "test -e /usr/bin/python3 || echo container-root; basename $(readlink /bin/sh)"});
    ASSERT_EQ(e.exit_code, 0) << e.err;
    EXPECT_EQ(e.out, "container-root\nbusybox\n");
    EXPECT_NE(ps_rows().find("containerd " + c.id + " "), std::string::npos) << ps_rows();
}

TEST(EngineContainerd, PausedTaskSaysHowToResumeIt) {
    CtrContainer c("cntr-test", "", "sleep 1000000");
    must("ctr -n cntr-test tasks pause " + c.id);
    auto r = run({kCntr, "attach", c.id, "--", "true"});
    must("ctr -n cntr-test tasks resume " + c.id);
    EXPECT_EQ(r.exit_code, 125);
    EXPECT_NE(r.err.find("is paused"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("ctr -n cntr-test task resume " + c.id), std::string::npos) << r.err;
}

TEST(EngineKubernetes, PodAndContainerByCriLabels) {
    const std::string pod = unique_name("pod");
    CtrContainer app("k8s.io", pod_labels(pod, "app"), "sleep 1000001");
    CtrContainer sidecar("k8s.io", pod_labels(pod, "sidecar"), "sleep 1000002");

    auto a = run({kCntr, "attach", "cntrtest/" + pod + "/app", "--", "sh", "-c",
                  "cat /proc/1/cmdline | tr '\\0' ' '"});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_EQ(a.out, "sleep 1000001 ");
    auto e = run({kCntr, "exec", "-t", "kubernetes", "cntrtest/" + pod + "/sidecar", "--", "sh",
                  "-c", "cat /proc/1/cmdline | tr '\\0' ' '"});
    ASSERT_EQ(e.exit_code, 0) << e.err;
    EXPECT_EQ(e.out, "sleep 1000002 ");

    // A pod with two containers needs the container's name.
    auto amb = run({kCntr, "attach", pod, "--", "true"});
    EXPECT_EQ(amb.exit_code, 125);
    EXPECT_NE(amb.err.find("ambiguous"), std::string::npos) << amb.err;
    EXPECT_NE(amb.err.find("-t kubernetes  cntrtest/" + pod + "/app"), std::string::npos)
        << amb.err;
    EXPECT_NE(amb.err.find("-t kubernetes  cntrtest/" + pod + "/sidecar"), std::string::npos);

    auto rows = ps_rows();
    EXPECT_NE(rows.find("kubernetes cntrtest/" + pod + "/app "), std::string::npos) << rows;
    EXPECT_NE(rows.find("kubernetes cntrtest/" + pod + "/sidecar "), std::string::npos) << rows;
}

TEST(EngineKubernetes, NamespaceSlashPodWithOneContainer) {
    const std::string pod = unique_name("pod");
    CtrContainer app("k8s.io", pod_labels(pod, "only"), "sleep 1000003");
    auto a = run(
        {kCntr, "exec", "cntrtest/" + pod, "--", "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '"});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_EQ(a.out, "sleep 1000003 ");
    auto wrong_ns = run({kCntr, "exec", "-t", "kubernetes", "other/" + pod, "--", "true"});
    EXPECT_EQ(wrong_ns.exit_code, 125);
    EXPECT_NE(wrong_ns.err.find("no container"), std::string::npos) << wrong_ns.err;
}

TEST(EngineKubernetes, ReusedContainerIdIsNotResolvedWithItsOldLabels) {
    // The labels are cached per task directory generation: an id deleted and
    // created again with other labels must be seen with the new ones.
    const std::string pod_a = unique_name("poda"), pod_b = unique_name("podb");
    std::string id;
    {
        CtrContainer first("k8s.io", pod_labels(pod_a, "app"), "sleep 1000004");
        id = first.id;
        auto r = run({kCntr, "resolve", pod_a});
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    const std::string again = "ctr -n k8s.io run -d --label cntr-test=1 " +
                              pod_labels(pod_b, "app") + " " + kImage + " " + id + " sleep 1000005";
    must(again);
    OnExit guard("ctr -n k8s.io tasks kill -s SIGKILL " + id +
                 " >/dev/null 2>&1; for i in $(seq 50); do "
                 "ctr -n k8s.io tasks delete " +
                 id +
                 " >/dev/null 2>&1 && break; sleep 0.1; done; "
                 "ctr -n k8s.io containers delete " +
                 id + " >/dev/null 2>&1");
    auto gone = run({kCntr, "resolve", "-t", "kubernetes", pod_a});
    EXPECT_EQ(gone.exit_code, 125) << gone.out;
    auto b = run({kCntr, "exec", pod_b, "--", "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '"});
    ASSERT_EQ(b.exit_code, 0) << b.err;
    EXPECT_EQ(b.out, "sleep 1000005 ");
}
