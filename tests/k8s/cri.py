#!/usr/bin/python3
"""A small CRI client for the tests: creates pods and containers through containerd's
CRI plugin as kubelet does (the same calls, labels and cgroup parents), so that the
labels, cgroups and IDs cntr sees are the ones of a real node.

usage: cri.py --socket SOCK version
       cri.py --socket SOCK pod NAMESPACE POD [--host-pid] [CONTAINER=IMAGE[:privileged] ...]
           runs a pod with host networking (no CNI here) and its containers (each
           `sleep 1000000`; a privileged one also gets the node's /sys/fs/cgroup),
           and prints JSON:
           {"sandbox": ID, "uid": POD_UID, "containers": {NAME: ID, ...}}
       cri.py --socket SOCK down
           stops and removes every pod the tests made (label cntr-test=1)

The protobuf classes come from cri_subset.proto next to this file, compiled with protoc
into a temporary directory at start (protobuf-compiler, python3-protobuf, python3-grpcio).
"""
import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
import uuid

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
TEST_LABEL = ("cntr-test", "1")


def load_messages():
    with tempfile.TemporaryDirectory(prefix="cntr-cri-proto.") as out:
        subprocess.run(["protoc", "-I", HERE, "--python_out", out,
                        os.path.join(HERE, "cri_subset.proto")], check=True)
        sys.path.insert(0, out)
        try:
            return importlib.import_module("cri_subset_pb2")
        finally:
            sys.path.remove(out)


pb = load_messages()
SERVICE = "/runtime.v1.RuntimeService/"


class Runtime:
    def __init__(self, socket):
        self.channel = grpc.insecure_channel("unix://" + socket)

    def call(self, method, request, reply_type, timeout=60):
        stub = self.channel.unary_unary(SERVICE + method,
                                        request_serializer=lambda m: m.SerializeToString(),
                                        response_deserializer=reply_type.FromString)
        return stub(request, timeout=timeout)

    def version(self):
        return self.call("Version", pb.VersionRequest(version="v1"), pb.VersionResponse)

    def run_pod(self, namespace, name, host_pid, containers):
        uid = str(uuid.uuid4())
        pod_labels = {"io.kubernetes.pod.name": name, "io.kubernetes.pod.namespace": namespace,
                      "io.kubernetes.pod.uid": uid, TEST_LABEL[0]: TEST_LABEL[1]}
        # kubelet's cgroupfs layout: /kubepods/<qos>/pod<UID>/<container ID>.
        sandbox = pb.PodSandboxConfig(
            metadata=pb.PodSandboxMetadata(name=name, uid=uid, namespace=namespace),
            labels=pod_labels,  # no hostname: the pod shares the node's network (and UTS)
            linux=pb.LinuxPodSandboxConfig(
                cgroup_parent="/kubepods/besteffort/pod" + uid,
                security_context=pb.LinuxSandboxSecurityContext(
                    privileged=any(priv for _, (_, priv) in containers.items()),
                    namespace_options=pb.NamespaceOption(
                        network=pb.NODE, pid=pb.NODE if host_pid else pb.CONTAINER))))
        sandbox_id = self.call("RunPodSandbox", pb.RunPodSandboxRequest(config=sandbox),
                               pb.RunPodSandboxResponse).pod_sandbox_id
        ids = {}
        for cname, (image, privileged) in containers.items():
            labels = {"io.kubernetes.container.name": cname, **pod_labels}
            # A privileged container is a node helper (kubectl cntr's): it sees the
            # node's cgroup tree, as the helper pod mounts it.
            mounts = [pb.Mount(container_path="/sys/fs/cgroup", source="/sys/fs/cgroup")
                      ] if privileged else []
            config = pb.ContainerConfig(
                metadata=pb.ContainerMetadata(name=cname), image=pb.ImageSpec(image=image),
                command=["sleep", "1000000"], labels=labels, mounts=mounts,
                linux=pb.LinuxContainerConfig(security_context=pb.LinuxContainerSecurityContext(
                    privileged=privileged,
                    namespace_options=pb.NamespaceOption(
                        network=pb.NODE, pid=pb.NODE if host_pid else pb.CONTAINER))))
            cid = self.call("CreateContainer",
                            pb.CreateContainerRequest(pod_sandbox_id=sandbox_id, config=config,
                                                      sandbox_config=sandbox),
                            pb.CreateContainerResponse).container_id
            self.call("StartContainer", pb.StartContainerRequest(container_id=cid),
                      pb.StartContainerResponse)
            ids[cname] = cid
        return {"sandbox": sandbox_id, "uid": uid, "containers": ids}

    def down(self):
        pods = self.call("ListPodSandbox", pb.ListPodSandboxRequest(
            filter=pb.PodSandboxFilter(label_selector=dict([TEST_LABEL]))),
            pb.ListPodSandboxResponse).items
        for pod in pods:
            # Stopping a sandbox kills its containers; removing it removes them.
            self.call("StopPodSandbox", pb.StopPodSandboxRequest(pod_sandbox_id=pod.id),
                      pb.StopPodSandboxResponse)
            self.call("RemovePodSandbox", pb.RemovePodSandboxRequest(pod_sandbox_id=pod.id),
                      pb.RemovePodSandboxResponse)
        return len(pods)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--socket", required=True)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("version")
    pod = sub.add_parser("pod")
    pod.add_argument("namespace")
    pod.add_argument("name")
    pod.add_argument("--host-pid", action="store_true")
    pod.add_argument("containers", nargs="+", metavar="CONTAINER=IMAGE[:privileged]")
    sub.add_parser("down")
    args = parser.parse_args()
    runtime = Runtime(args.socket)
    try:
        if args.command == "version":
            v = runtime.version()
            print(v.runtime_name, v.runtime_version, v.runtime_api_version)
        elif args.command == "pod":
            containers = {}
            for spec in args.containers:
                cname, _, image = spec.partition("=")
                privileged = image.endswith(":privileged")
                if privileged:
                    image = image[: -len(":privileged")]
                containers[cname] = (image, privileged)
            print(json.dumps(runtime.run_pod(args.namespace, args.name, args.host_pid,
                                             containers)))
        elif args.command == "down":
            print(runtime.down(), "pods removed")
    except grpc.RpcError as e:
        print(f"cri.py: {args.command}: {e.code().name}: {e.details()}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
