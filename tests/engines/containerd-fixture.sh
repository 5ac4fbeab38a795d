#!/usr/bin/env bash
# containerd fixture (ctest FIXTURES_SETUP/CLEANUP "containerd"; needs the docker one).
#
# usage: containerd-fixture.sh setup|cleanup
#   setup    start the system containerd (/run/containerd/containerd.sock)
#            unless one answers, and import the slim test image (a `docker
#            save`) into the namespaces the tests use: cntr-test and k8s.io.
#   cleanup  delete the tasks and containers labelled cntr-test=1 in the
#            namespaces above (never moby's: dockerd may share this containerd),
#            and stop containerd if, and only if, setup started it.
set -euo pipefail
FIXTURE=containerd-fixture
# shellcheck source=engine-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/engine-common.sh"
NAMESPACES=(cntr-test k8s.io)

setup() {
    need containerd containerd
    need ctr containerd
    start_daemon containerd "ctr version" /var/log/cntr-containerd.log containerd
    local tar ns id ref=docker.io/library/$IMAGE
    tar=$(slim_tar)
    id=$(slim_id)
    # The label names the docker image the import came from: a rebuilt one is
    # imported again.
    for ns in "${NAMESPACES[@]}"; do
        ctr -n "$ns" images ls "name==$ref" | grep -q "cntr-test.id=$id" && continue
        ctr -n "$ns" images import "$tar" >/dev/null || die "ctr -n $ns images import failed"
        ctr -n "$ns" images label "$ref" "cntr-test.id=$id" >/dev/null ||
            die "ctr -n $ns images label failed"
    done
    log "setup done: containerd answers; docker.io/library/$IMAGE in ${NAMESPACES[*]}"
}

cleanup() {
    local rc=0 ns id
    if ctr version >/dev/null 2>&1; then
        # Only our namespaces: dockerd may use this containerd too, and its
        # "moby" containers carry the docker tests' cntr-test=1 label.
        for ns in "${NAMESPACES[@]}"; do
            for id in $(ctr -n "$ns" containers ls -q "labels.\"cntr-test\"==1"); do
                ctr -n "$ns" tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
                for _ in $(seq 1 50); do
                    ctr -n "$ns" tasks delete "$id" >/dev/null 2>&1 && break
                    ctr -n "$ns" tasks ls -q | grep -qx "$id" || break
                    sleep 0.1
                done
                ctr -n "$ns" containers delete "$id" >/dev/null 2>&1 || { log "cannot delete $ns/$id"; rc=1; }
            done
        done
    fi
    # A dockerd started after us may have adopted this containerd (it uses
    # /run/containerd/containerd.sock when it exists): then it must stay.
    if ctr namespaces ls -q 2>/dev/null | grep -qx moby &&
        [[ -n $(ctr -n moby tasks ls -q 2>/dev/null) ]]; then
        log "dockerd runs its containers on this containerd; leaving it running"
        rm -f "$STATE/fixture-containerd.pid"
    else
        stop_daemon containerd
    fi
    ((rc == 0)) || die "cleanup failed"
    log "cleanup done"
}

fixture_main "$@"
