// The engine parsers over output recorded from the real tools on Debian 12
// (podman 4.3, lxc 5.0, lxd 5.0, containerd 1.6, docker 28), and, for the
// engines that cannot run on the CI machine (systemd-nspawn needs systemd as
// PID 1 and a running systemd-machined; rkt has no Debian package), over the
// formats their documentation gives for `machinectl show` and `rkt status`.
#include <gtest/gtest.h>

#include "error.hpp"
#include "ps_command.hpp"
#include "resolve/engine_parsers.hpp"
#include "resolve/resolver.hpp"

using namespace cntr;
using namespace cntr::engine;
using nlohmann::json;

TEST(DockerInspect, RunningPausedStopped) {
    // `podman inspect eng-p1` (podman 4.3.1), trimmed to the fields cntr reads.
    auto j =
        json::parse(R"({"Id": "ff62d47ab244b928362329e04de2885a09b67a4587cd819ded63785dc28f0768",
      "Name": "eng-p1", "ImageName": "localhost/cntr-test-slim:latest",
      "State": {"OciVersion": "1.0.2-dev", "Status": "running", "Running": true, "Paused": false,
                "Restarting": false, "OOMKilled": false, "Dead": false, "Pid": 3705, "ConmonPid": 3694}})");
    auto c = from_docker_inspect(j, "podman");
    EXPECT_EQ(c.pid, 3705);
    EXPECT_EQ(c.name, "eng-p1");
    EXPECT_EQ(c.image, "localhost/cntr-test-slim:latest");
    EXPECT_TRUE(c.not_attachable.empty());

    // Docker Engine API /containers/NAME/json of a paused and an exited container.
    auto paused = json::parse(R"({"Id": "b47e39f9e1b0f181c46b", "Name": "/web",
      "Config": {"Image": "cntr-test-slim:latest"},
      "State": {"Status": "paused", "Running": true, "Paused": true, "Pid": 3149}})");
    auto p = from_docker_inspect(paused, "docker");
    EXPECT_EQ(p.name, "web");
    EXPECT_EQ(p.image, "cntr-test-slim:latest");
    EXPECT_NE(p.not_attachable.find("docker unpause web"), std::string::npos);
    auto exited = json::parse(R"({"Id": "b47e", "Name": "/web",
      "State": {"Status": "exited", "Running": false, "Paused": false, "Pid": 0, "ExitCode": 137}})");
    auto e = from_docker_inspect(exited, "sudo -u alice podman");
    EXPECT_NE(e.not_attachable.find("status: exited"), std::string::npos);
    EXPECT_NE(e.not_attachable.find("'sudo -u alice podman start web'"), std::string::npos);
}

TEST(LxcInfo, RunningFrozenStopped) {
    // `lxc-info -n NAME -s -p` (lxc 5.0.2) for each state.
    auto running = from_lxc_info("c1", "State:          RUNNING\nPID:            20363\n");
    EXPECT_EQ(running.pid, 20363);
    EXPECT_TRUE(running.not_attachable.empty());
    auto frozen = from_lxc_info("c1", "State:          FROZEN\nPID:            20363\n");
    EXPECT_NE(frozen.not_attachable.find("lxc-unfreeze -n c1"), std::string::npos);
    auto stopped = from_lxc_info("c1", "State:          STOPPED\n");
    EXPECT_EQ(stopped.pid, 0);
    EXPECT_NE(stopped.not_attachable.find("lxc-start -n c1"), std::string::npos);
}

TEST(LxdInstance, StateAndConfig) {
    // GET /1.0/instances/eng-x1 metadata with /state's metadata as "state" (lxd 5.0.2).
    auto m = json::parse(R"({"name": "eng-x1", "status": "Running", "status_code": 103,
      "type": "container", "config": {"image.description": "cntr-test-slim", "image.os": "busybox"},
      "state": {"status": "Running", "status_code": 103, "pid": 10784, "processes": 2,
                "memory": {"usage": 368640}, "cpu": {"usage": 26249565}}})");
    auto c = from_lxd_instance(m);
    EXPECT_EQ(c.pid, 10784);
    EXPECT_EQ(c.image, "cntr-test-slim");
    EXPECT_TRUE(c.not_attachable.empty());
    m["state"]["status"] = "Frozen";
    EXPECT_NE(from_lxd_instance(m).not_attachable.find("frozen"), std::string::npos);
    m["state"] = json::parse(R"({"status": "Stopped", "status_code": 102, "pid": 0})");
    EXPECT_NE(from_lxd_instance(m).not_attachable.find("lxc start eng-x1"), std::string::npos);
}

TEST(Machinectl, ShowLeaderAndState) {
    // `machinectl show web` as systemd 252 prints it (org.freedesktop.machine1 properties).
    const std::string out =
        "Name=web\nId=6f8a0c2bd1e54a7b9c3d2e1f0a9b8c7d\nTimestamp=Sun 2026-11-22 14:00:01 UTC\n"
        "TimestampMonotonic=123456789\nService=systemd-nspawn\nUnit=systemd-nspawn@web.service\n"
        "Leader=4242\nClass=container\nRootDirectory=/var/lib/machines/web\nNetworkInterfaces=7\n"
        "State=running\n";
    auto c = from_machinectl_show("web", out);
    EXPECT_EQ(c.pid, 4242);
    EXPECT_TRUE(c.not_attachable.empty());
    auto closing = from_machinectl_show("web", "Name=web\nLeader=4242\nState=closing\n");
    EXPECT_NE(closing.not_attachable.find("state: closing"), std::string::npos);
}

TEST(Ctr, TasksAndContainersTables) {
    // `ctr -n k8s.io tasks ls` and `ctr -n k8s.io containers ls` (containerd 1.6.20).
    auto tasks = parse_ctr_tasks(
        "TASK      PID     STATUS    \neng-k1    7547    RUNNING\neng-k2    7600    PAUSED\n"
        "eng-k3    0       STOPPED\n");
    ASSERT_EQ(tasks.size(), 3U);
    EXPECT_EQ(tasks[0].id, "eng-k1");
    EXPECT_EQ(tasks[0].pid, 7547);
    EXPECT_EQ(tasks[1].status, "PAUSED");
    auto rows = parse_ctr_containers(
        "CONTAINER    IMAGE                                      RUNTIME                  \n"
        "eng-k1       docker.io/library/cntr-test-slim:latest    io.containerd.runc.v2    \n"
        "sandbox      -                                          io.containerd.runc.v2    \n");
    ASSERT_EQ(rows.size(), 2U);
    EXPECT_EQ(rows[0].second, "docker.io/library/cntr-test-slim:latest");
    EXPECT_EQ(rows[1].second, "");
}

TEST(Kubernetes, PodReferences) {
    auto one = parse_pod_ref("web");
    ASSERT_TRUE(one);
    EXPECT_FALSE(one->ns);
    EXPECT_EQ(one->pod, "web");
    auto two = parse_pod_ref("prod/web");
    ASSERT_TRUE(two);
    EXPECT_EQ(*two->ns, "prod");
    EXPECT_FALSE(two->container);
    auto three = parse_pod_ref("prod/web/nginx");
    ASSERT_TRUE(three);
    EXPECT_EQ(*three->container, "nginx");
    EXPECT_FALSE(parse_pod_ref("a/b/c/d"));
    EXPECT_FALSE(parse_pod_ref("prod//nginx"));
    EXPECT_FALSE(parse_pod_ref("we\"b"));  // would break the ctr label filter
}

TEST(Kubernetes, CriLabelsMatch) {
    // `ctr -n k8s.io containers info eng-k1` (containerd 1.6.20), trimmed.
    auto info = json::parse(R"({"ID": "eng-k1", "Labels": {"cntr-test": "1",
      "io.containerd.image.config.stop-signal": "SIGTERM",
      "io.kubernetes.container.name": "app", "io.kubernetes.pod.name": "eng-pod1",
      "io.kubernetes.pod.namespace": "cntrtest"},
      "Image": "docker.io/library/cntr-test-slim:latest", "Runtime": {"Name": "io.containerd.runc.v2"}})");
    EXPECT_TRUE(labels_match(info, *parse_pod_ref("eng-pod1")));
    EXPECT_TRUE(labels_match(info, *parse_pod_ref("cntrtest/eng-pod1")));
    EXPECT_TRUE(labels_match(info, *parse_pod_ref("cntrtest/eng-pod1/app")));
    EXPECT_FALSE(labels_match(info, *parse_pod_ref("default/eng-pod1")));
    EXPECT_FALSE(labels_match(info, *parse_pod_ref("cntrtest/eng-pod1/sidecar")));
    EXPECT_EQ(pod_display_name(info), "cntrtest/eng-pod1/app");
    // A CRI sandbox (pause container) carries the pod labels but is no container.
    auto sandbox = info;
    sandbox["Labels"]["io.cri-containerd.kind"] = "sandbox";
    sandbox["Labels"].erase("io.kubernetes.container.name");
    EXPECT_FALSE(labels_match(sandbox, *parse_pod_ref("eng-pod1")));
}

TEST(Rkt, StatusAndList) {
    // `rkt status` and `rkt list --full --no-legend` as rkt 1.30 documents them.
    auto c = from_rkt_status("5bc080ca-3589-4b2d-b16b-2ba5d9c1e2f0",
                             "state=running\ncreated=2018-01-01 10:00:00.000 +0000 UTC\n"
                             "started=2018-01-01 10:00:01.000 +0000 UTC\n"
                             "networks=default:ip4=172.16.28.2\npid=2718\nexited=false\n");
    EXPECT_EQ(c.pid, 2718);
    EXPECT_TRUE(c.not_attachable.empty());
    auto exited = from_rkt_status("5bc080ca", "state=exited\npid=0\nexited=true\napp-etcd=0\n");
    EXPECT_NE(exited.not_attachable.find("state: exited"), std::string::npos);
    auto pods = from_rkt_list(
        "5bc080ca-3589-4b2d-b16b-2ba5d9c1e2f0\tetcd\tcoreos.com/etcd:v3.3.0\tsha512-a1b2c3\t"
        "running\t2018-01-01 10:00:00 +0000 UTC\t2018-01-01 10:00:01 +0000 UTC\t"
        "default:ip4=172.16.28.2\n"
        "6c7fa1b2-0000-4b2d-b16b-2ba5d9c1e2f0\tnginx\tdocker://"
        "nginx\tsha512-d4e5f6\texited\t\t\t\n");
    ASSERT_EQ(pods.size(), 2U);
    EXPECT_EQ(pods[0].image, "coreos.com/etcd:v3.3.0");
    EXPECT_TRUE(pods[0].not_attachable.empty());
    EXPECT_FALSE(pods[1].not_attachable.empty());
}

TEST(EngineOrder, DocumentedDefaultOrder) {
    EXPECT_EQ(default_container_types(),
              (std::vector<std::string>{"docker", "podman", "lxc", "lxd", "nspawn", "kubernetes",
                                        "containerd", "rkt", "cgroup", "process_id"}));
}

TEST(EngineOrder, ExplicitMissingEngineIsAnError) {
    // rkt has no Debian package: with -t it must say so, not "not found".
    if (make_resolver("rkt")->installed()) GTEST_FAIL() << "rkt is installed here";
    try {
        resolve_container("5bc080ca", {"rkt"});
        FAIL() << "no error";
    } catch (const UserError& e) {
        EXPECT_NE(std::string(e.what()).find("rkt is not installed"), std::string::npos)
            << e.what();
    }
}

TEST(Ps, UptimeFormat) {
    EXPECT_EQ(format_uptime(12), "12s");
    EXPECT_EQ(format_uptime(250), "4m10s");
    EXPECT_EQ(format_uptime(7500), "2h05m");
    EXPECT_EQ(format_uptime(3 * 86400 + 4 * 3600), "3d4h");
    EXPECT_EQ(format_uptime(-1), "-");
    EXPECT_GE(process_uptime_seconds(::getpid()), 0);
}

TEST(Kubernetes, CrictlPsAndInspect) {
    // `crictl ps -o json` and `crictl inspect -o json ID` (cri-tools 1.26), trimmed.
    auto ps = json::parse(R"({"containers": [
      {"id": "1f73f2d81bf98e5c", "podSandboxId": "8c4b4b2a",
       "metadata": {"name": "nginx", "attempt": 0},
       "image": {"image": "docker.io/library/nginx:1.25", "annotations": {}},
       "imageRef": "sha256:61395b4c", "state": "CONTAINER_RUNNING", "createdAt": "1700000000000000000",
       "labels": {"io.kubernetes.container.name": "nginx", "io.kubernetes.pod.name": "web-0",
                  "io.kubernetes.pod.namespace": "prod", "io.kubernetes.pod.uid": "0d5c"}},
      {"id": "9a8b7c6d5e4f3a2b", "podSandboxId": "8c4b4b2a",
       "metadata": {"name": "log", "attempt": 2}, "image": {"image": "busybox"},
       "state": "CONTAINER_EXITED",
       "labels": {"io.kubernetes.container.name": "log", "io.kubernetes.pod.name": "web-0",
                  "io.kubernetes.pod.namespace": "prod"}}]})");
    auto ref = parse_pod_ref("prod/web-0");
    auto found = from_crictl_ps(ps, &*ref);
    ASSERT_EQ(found.size(), 2U);
    EXPECT_EQ(found[0].name, "prod/web-0/nginx");
    EXPECT_EQ(found[0].image, "docker.io/library/nginx:1.25");
    EXPECT_NE(found[1].not_attachable.find("CONTAINER_EXITED"), std::string::npos);
    auto inspect =
        json::parse(R"({"status": {"id": "1f73f2d81bf98e5c", "state": "CONTAINER_RUNNING"},
      "info": {"sandboxID": "8c4b4b2a", "pid": 31337, "runtimeType": "io.containerd.runc.v2"}})");
    apply_crictl_inspect(found[0], inspect);
    EXPECT_EQ(found[0].pid, 31337);
    EXPECT_TRUE(found[0].not_attachable.empty());
    auto one = parse_pod_ref("prod/web-0/nginx");
    EXPECT_EQ(from_crictl_ps(ps, &*one).size(), 1U);
    EXPECT_EQ(from_crictl_ps(ps, nullptr).size(), 2U);
}
