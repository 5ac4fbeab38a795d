#!/usr/bin/env bash
# CRI fixture (ctest FIXTURES_SETUP/CLEANUP "cri"; needs the docker one): a containerd
# of its own with the CRI plugin, so that pods are made as kubelet makes them.
#
# usage: cri-fixture.sh setup|cleanup
#   setup    start containerd with $STATE/cri/config.toml (root, state and socket under
#            $STATE/cri: the system containerd, dockerd's and their images are not
#            touched), give it a pause image built from local files (the sandbox image
#            cannot be pulled here) and the slim test image in namespace k8s.io.
#   cleanup  remove every pod the tests made (cri.py down) and stop that containerd
#            (and, after a killed run, whatever containerd or shim still uses $STATE/cri);
#            its root and state go too (they are only a cache of two images).
# The tests reach it with CONTAINERD_ADDRESS=$STATE/cri/state/containerd.sock.
set -euo pipefail
FIXTURE=cri-fixture
# shellcheck source=../engines/engine-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../engines/engine-common.sh"
DIR=$STATE/cri
SOCK=$DIR/state/containerd.sock
PAUSE=docker.io/library/cntr-test-pause:local
CRI=(/usr/bin/python3 "$ROOT/tests/k8s/cri.py" --socket "$SOCK")
ctr_cri() { ctr --address "$SOCK" --namespace k8s.io "$@"; }

# The pause image: busybox-static sleeping for ever, what a sandbox needs (it only
# holds the pod's namespaces).
pause_tar() {
    local tar=$DIR/pause.tar work
    [[ -s $tar ]] && { printf '%s\n' "$tar"; return; }
    work=$(mktemp -d "$DIR/pause.XXXXXX")
    mkdir -p "$work/rootfs/bin"
    cp /bin/busybox "$work/rootfs/bin/busybox"
    tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
    docker import --change 'ENTRYPOINT ["/bin/busybox", "sleep", "2147483647"]' \
        "$work/rootfs.tar" "$PAUSE" >/dev/null || die "docker import of the pause image failed"
    docker save -o "$work/pause.tar" "$PAUSE" || die "docker save of the pause image failed"
    docker image rm "$PAUSE" >/dev/null
    mv "$work/pause.tar" "$tar"
    rm -rf "$work"
    printf '%s\n' "$tar"
}

setup() {
    need containerd containerd
    need ctr containerd
    need protoc protobuf-compiler
    /usr/bin/python3 -c 'import grpc, google.protobuf' 2>/dev/null ||
        die "python3-grpcio and python3-protobuf are missing; run scripts/install-deps.sh --test"
    mkdir -p "$DIR/root" "$DIR/state"
    cat >"$DIR/config.toml" <<EOF
version = 2
root = "$DIR/root"
state = "$DIR/state"
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE"
  # Sandboxes ask for oom_score_adj -998, which needs CAP_SYS_RESOURCE; machines
  # whose root lacks it (this one) would fail every sandbox in runc init.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
EOF
    start_daemon containerd-cri "ctr --address '$SOCK' version" /var/log/cntr-containerd-cri.log \
        containerd --config "$DIR/config.toml"
    local tar id ref=docker.io/library/$IMAGE
    tar=$(pause_tar)
    ctr_cri images ls -q | grep -qx "$PAUSE" || ctr_cri images import "$tar" >/dev/null ||
        die "importing the pause image failed"
    tar=$(slim_tar)
    id=$(slim_id)
    if ! ctr_cri images ls "name==$ref" | grep -q "cntr-test.id=$id"; then
        ctr_cri images import "$tar" >/dev/null || die "importing $IMAGE failed"
        ctr_cri images label "$ref" "cntr-test.id=$id" >/dev/null
    fi
    "${CRI[@]}" version >/dev/null || die "containerd's CRI plugin does not answer on $SOCK"
    log "setup done: CRI on $SOCK ($("${CRI[@]}" version))"
}

# Every process below PID, children before their parents' turn comes.
descendants() {
    local queue=("$1") out=() p c
    while ((${#queue[@]})); do
        p=${queue[0]} queue=("${queue[@]:1}")
        for c in $(pgrep -P "$p"); do out+=("$c") queue+=("$c"); done
    done
    printf '%s\n' "${out[@]}"
}

# What a killed run left when its pid file went with $STATE (reset-state.sh removes
# it): this fixture's containerd and shims, found by the paths only it uses. A shim's
# processes (the pods') go with it; they would outlive it otherwise.
stop_strays() {
    local shim pid
    for shim in $(pgrep -f -- "containerd-shim-runc-v2 .*-address $SOCK"); do
        # shellcheck disable=SC2046 # one PID per word
        kill -KILL $(descendants "$shim") "$shim" 2>/dev/null
        log "stopped a stray shim of $SOCK (pid $shim) and its processes"
    done
    for pid in $(pgrep -f -x -- "containerd --config $DIR/config.toml"); do
        terminate "$pid"
        log "stopped a stray containerd of $DIR (pid $pid)"
    done
}

cleanup() {
    local rc=0
    if ctr --address "$SOCK" version >/dev/null 2>&1; then
        "${CRI[@]}" down >/dev/null || { log "cri.py down failed"; rc=1; }
    fi
    stop_daemon containerd-cri
    stop_strays
    # Only when it is stopped: a running containerd holds mounts under its root.
    if [[ ! -f $STATE/fixture-containerd-cri.pid ]] && ! ctr --address "$SOCK" version >/dev/null 2>&1; then
        detach_mounts_below "$DIR"
        rm -rf "$DIR/root" "$DIR/state" || { log "cannot remove $DIR/root and $DIR/state"; rc=1; }
    fi
    log "cleanup done"
    return $rc
}

fixture_main "$@"
