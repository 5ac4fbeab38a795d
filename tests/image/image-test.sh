#!/usr/bin/env bash
# cntr as a container image (packaging/image/build-image.sh), end to end against
# the real docker of the docker fixture:
#   - the script builds the tarball twice with the same bytes and leaves no
#     temporary directory behind;
#   - docker load, ctr images import (dockerd's containerd) and skopeo read it;
#   - `docker run --privileged --pid=host -v /sys/fs/cgroup:... -v /var/run/docker.sock:... IMAGE attach`
#     attaches to a slim test container by name (docker engine) and by
#     `docker://ID` (the cgroup engine, as in a Kubernetes helper pod), with the
#     image's own busybox as the tools and with `--tools container:docker://ID` of
#     a second container; the command's exit status comes back through docker run.
# Removes the image, the containers and its temporary files on every exit.
#
# usage: image-test.sh RELEASE_BUILD_DIR   (ctest, fixture docker)
set -euo pipefail
TEST=image-test
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SLIM=cntr-test-slim:latest
LABEL=cntr-test=1
BUILD=${1:?usage: image-test.sh RELEASE_BUILD_DIR}
log() { printf '%s: %s\n' "$TEST" "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }
[[ $(id -u) -eq 0 ]] || fail "must run as root"
docker info >/dev/null 2>&1 || fail "docker does not answer (the docker fixture starts it)"

tag=cntr-image-test:$$
target=cntr-image-test-target-$$
tools=cntr-image-test-tools-$$
ctr_sock=/var/run/docker/containerd/containerd.sock
ctr_ns=cntr-image-test-$$
tmp=$(mktemp -d /tmp/cntr-image-test.XXXXXX)
cleanup() {
    docker rm -f "$target" "$tools" >/dev/null 2>&1 || true
    docker rmi -f "$tag" >/dev/null 2>&1 || true
    if [[ -S $ctr_sock ]] && ctr -a "$ctr_sock" namespaces ls -q 2>/dev/null | grep -qx "$ctr_ns"; then
        ctr -a "$ctr_sock" -n "$ctr_ns" images rm "docker.io/library/$tag" >/dev/null 2>&1 || true
        ctr -a "$ctr_sock" -n "$ctr_ns" content ls -q 2>/dev/null | xargs -r ctr -a "$ctr_sock" -n "$ctr_ns" content rm >/dev/null 2>&1 || true
        ctr -a "$ctr_sock" namespaces rm "$ctr_ns" >/dev/null 2>&1 || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# --- the build: reproducible, idempotent, no temporary directory left ---------
before=$(find /tmp -maxdepth 1 -name 'cntr-image.*' | sort)
"$ROOT/packaging/image/build-image.sh" --build-dir "$BUILD" --tag "$tag" --output "$tmp/a.tar" >/dev/null ||
    fail "build-image.sh failed"
"$ROOT/packaging/image/build-image.sh" --build-dir "$BUILD" --tag "$tag" --output "$tmp/b.tar" >/dev/null ||
    fail "build-image.sh failed on the second run"
cmp -s "$tmp/a.tar" "$tmp/b.tar" || fail "two builds of the same tree gave different tarballs"
after=$(find /tmp -maxdepth 1 -name 'cntr-image.*' | sort)
[[ $before == "$after" ]] || fail "build-image.sh left a temporary directory: $after"
size=$(stat -c %s "$tmp/a.tar")
log "image tarball: $size bytes"

# --- loadable by docker, containerd and skopeo --------------------------------
docker load -i "$tmp/a.tar" >/dev/null || fail "docker load rejected the tarball"
[[ $(docker image inspect -f '{{json .Config.Entrypoint}}' "$tag") == '["/usr/bin/cntr"]' ]] ||
    fail "the entrypoint is not cntr"
log "docker image size: $(docker image inspect -f '{{.Size}}' "$tag") bytes"
if command -v skopeo >/dev/null; then
    skopeo inspect --raw "oci-archive:$tmp/a.tar" | grep -q 'application/vnd.oci.image.manifest.v1+json' ||
        fail "skopeo cannot read it as oci-archive"
    skopeo copy -q "docker-archive:$tmp/a.tar" "oci:$tmp/oci:test" || fail "skopeo cannot read it as docker-archive"
fi
if command -v ctr >/dev/null && [[ -S $ctr_sock ]]; then
    ctr -a "$ctr_sock" -n "$ctr_ns" images import "$tmp/a.tar" >/dev/null || fail "ctr images import failed"
    ctr -a "$ctr_sock" -n "$ctr_ns" images ls -q | grep -qx "docker.io/library/$tag" ||
        fail "ctr images import did not name the image docker.io/library/$tag"
fi

# --- attach from the image -----------------------------------------------------
docker run -d --label "$LABEL" --name "$target" "$SLIM" sleep 2147483647 >/dev/null ||
    fail "docker run $SLIM failed (the docker fixture builds it)"
docker run -d --label "$LABEL" --name "$tools" "$SLIM" sh -c 'echo tools-mark > /tools-mark; exec sleep 2147483647' >/dev/null ||
    fail "docker run of the tools container failed"
target_id=$(docker inspect -f '{{.Id}}' "$target")
tools_id=$(docker inspect -f '{{.Id}}' "$tools")
want_host=$(docker inspect -f '{{.Config.Hostname}}' "$target")
# --privileged asks runc for every capability the kernel knows; where root's bounding
# set lacks some (this VM's root has no CAP_SYS_RESOURCE) runc fails with "unable to
# apply caps". Then the equivalent for cntr: every capability root has, no seccomp or
# AppArmor profile, /dev/fuse. The node's cgroup tree is mounted either way: without
# it cntr cannot join the target's cgroup (docs/kubernetes.md).
privileged=(--privileged)
bnd_hex=$(awk '/^CapBnd/ {print $2}' /proc/self/status)
if ((16#$bnd_hex != (1 << ($(cat /proc/sys/kernel/cap_last_cap) + 1)) - 1)); then
    privileged=(--security-opt seccomp=unconfined --security-opt apparmor=unconfined
        --device /dev/fuse)
    for cap in $(capsh --decode="$bnd_hex" | cut -d= -f2 | tr , ' '); do
        # Linux 5.8's are unknown to Debian 12's docker (20.10); cntr needs none of them.
        case $cap in cap_perfmon | cap_bpf | cap_checkpoint_restore) continue ;; esac
        privileged+=(--cap-add "${cap#cap_}")
    done
    log "root's bounding set is $bnd_hex, not every capability: --privileged replaced by --cap-add of each it has"
fi
run_image() {
    docker run --rm -i "${privileged[@]}" --pid=host -v /sys/fs/cgroup:/sys/fs/cgroup \
        -v /var/run/docker.sock:/var/run/docker.sock "$tag" "$@" </dev/null
}

out=$(run_image attach "$target" -- /bin/sh -c 'hostname; ls /var/lib/cntr/bin/busybox; ls /usr/bin/cntr; echo attach-ok' 2>&1) ||
    fail "attach by name from the image failed: $out"
[[ $out == *"$want_host"*"/var/lib/cntr/bin/busybox"*"/usr/bin/cntr"*attach-ok* ]] ||
    fail "the session did not run in $target with the image's tools: $out"
log "attach $target (docker engine) from the image works"

out=$(run_image attach -t cgroup "docker://$target_id" -- /bin/sh -c 'hostname; cat /var/lib/cntr/etc/timezone' 2>&1) ||
    fail "attach by docker://ID from the image failed: $out"
[[ $out == *"$want_host"*Asia/Tokyo* ]] || fail "attach by docker://ID did not reach $target: $out"
log "attach docker://ID (cgroup engine) from the image works"

out=$(run_image attach -t cgroup --tools "container:docker://$tools_id" "docker://$target_id" -- \
    /bin/sh -c 'cat /tools-mark; hostname; ls /usr/bin/cntr 2>&1 || echo no-cntr-here' 2>&1) ||
    fail "attach with --tools container:docker://ID failed: $out"
[[ $out == *tools-mark*"$want_host"*no-cntr-here* ]] ||
    fail "the tools were not the second container's root: $out"
log "--tools container:docker://ID (cgroup engine) from the image works"

rc=0
run_image attach "$target" -- /bin/sh -c 'exit 7' >/dev/null 2>&1 || rc=$?
((rc == 7)) || fail "the command's exit status 7 came back as $rc"
if grep -q cntrfs /proc/self/mountinfo; then fail "a cntrfs mount was left on the host"; fi
[[ -z $(docker ps -aq --filter "ancestor=$tag") ]] || fail "a container of the image was left behind"
log "PASS"
