#!/usr/bin/env bash
# Puts the machine back to "no fixture ever ran" (scripts/test --fresh): what a
# killed test run left behind goes, and so does every cached copy of the slim
# test image, so the next run builds and imports everything from nothing.
#
# usage: reset-state.sh   (as root; idempotent; safe when nothing is left)
#  1. the fuse module's enable_uring goes back to the value saved before a test
#     changed it;
#  2. every fixture's cleanup runs (containers labelled cntr-test=1, instances
#     named cntrt-*, registries, CRI pods, daemons the fixtures started - each
#     checked by PID and start time, the CRI fixture's also by its paths);
#  3. leftover CNTRFS mounts of killed tests are detached and their servers of
#     this checkout's build trees stopped; the tests' temporary directories go;
#  4. the slim image is removed from every engine that answers, and $STATE.
set -uo pipefail
FIXTURE=reset-state
# shellcheck source=engine-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/engine-common.sh"
ENGINES=$ROOT/tests/engines
rc=0

for saved in "$STATE/enable_uring.saved-off" "$STATE/enable_uring.saved"; do
    if [[ -s $saved && -w /sys/module/fuse/parameters/enable_uring ]]; then
        cat "$saved" >/sys/module/fuse/parameters/enable_uring && log "enable_uring restored to $(cat "$saved")"
    fi
    rm -f "$saved"
done

# The image caches need a running engine to be removed; start dockerd for it
# when it is not running (the docker cleanup below stops it again).
if command -v dockerd >/dev/null; then "$ROOT/scripts/dockerd-up.sh" >/dev/null 2>&1 || true; fi
if docker info >/dev/null 2>&1; then
    docker ps -aq --filter "label=$LABEL" | xargs -r docker rm -f >/dev/null 2>&1
    docker image rm -f "$IMAGE" >/dev/null 2>&1 && log "removed docker image $IMAGE"
fi
if command -v podman >/dev/null; then
    podman rmi -f "localhost/$IMAGE" >/dev/null 2>&1 && log "removed podman image localhost/$IMAGE"
fi
if ctr version >/dev/null 2>&1; then
    for ns in cntr-test k8s.io; do
        ctr -n "$ns" images rm "docker.io/library/$IMAGE" >/dev/null 2>&1 && log "removed $IMAGE from containerd namespace $ns"
    done
fi
if command -v lxc >/dev/null && lxc info >/dev/null 2>&1; then
    lxc image delete cntr-test-slim >/dev/null 2>&1 && log "removed lxd image cntr-test-slim"
fi

# The CRI fixture's own containerd, its pods and shims first.
"$ROOT/tests/k8s/cri-fixture.sh" cleanup || { log "the cri fixture's cleanup failed"; rc=1; }
# Rootless podman's store belongs to the fixture's user, removed with it.
for f in lxd lxc containerd podman registry docker; do
    "$ENGINES/$f-fixture.sh" cleanup || { log "the $f fixture's cleanup failed"; rc=1; }
done

# Mounts and servers of killed tests (standalone cntrfs mounts under /tmp).
while read -r mnt; do
    umount -l "$mnt" 2>/dev/null && log "detached a leftover cntrfs mount at $mnt"
done < <(awk '$0 ~ / - fuse\.cntrfs / {print $5}' /proc/self/mountinfo | sort -r)
for pid in $(pgrep -x cntrfs-server); do
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
    if [[ $exe == "$ROOT"/build*/* ]]; then
        kill -KILL "$pid" 2>/dev/null && log "stopped a leftover cntrfs-server (pid $pid, $exe)"
    fi
done
rm -rf --one-file-system /tmp/cntr-fatimg-test-* /tmp/cntr-profiles-it.* /tmp/cntr-tools-it.* \
    /tmp/cntrfs-t.* /tmp/cntr-effective-user-* /tmp/cntr-install-test.* /tmp/cntr-deb-test.* \
    /tmp/cntr-lxd-image.* /tmp/cntr-slim-image.* /tmp/cntr-tools-attack.* 2>/dev/null
# Nothing mounted below $STATE may be walked into (a killed build's chroot).
detach_mounts_below "$STATE"
rm -rf --one-file-system "$STATE"
((rc == 0)) || die "some state could not be reset (see above)"
log "done: no fixture state, no cached test image"
