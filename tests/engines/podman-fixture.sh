#!/usr/bin/env bash
# Podman fixture (ctest FIXTURES_SETUP/CLEANUP "podman"; needs the docker one).
#
# usage: podman-fixture.sh setup|cleanup
#   setup    load the slim test image into root's podman store, create the test
#            user cntr-rootless (with /etc/subuid and /etc/subgid ranges and a
#            /run/user/UID) unless it exists, and load the image into its store.
#   cleanup  remove every podman container labelled cntr-test=1 from both
#            stores, and the test user if setup created it.
# Podman has no daemon: nothing to start or stop. On this kind of machine
# (cgroup v1 hybrid, no /dev/net/tun) containers need --runtime runc
# --network none and explicit ulimits; tests pass those.
set -euo pipefail
FIXTURE=podman-fixture
# shellcheck source=engine-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/engine-common.sh"
USER_NAME=cntr-rootless

as_user() {
    local uid
    uid=$(id -u "$USER_NAME")
    (cd / && runuser -u "$USER_NAME" -- env HOME="/home/$USER_NAME" XDG_RUNTIME_DIR="/run/user/$uid" "$@")
}

# Loads the slim image into a store (root's: `podman`; the user's: `as_user`)
# unless it holds this very version (podman keeps docker's image id).
load_current() { # RUNNER TAR ID
    local run=$1 tar=$2 id=$3 have
    [[ $run == podman ]] && run=
    have=$($run podman image inspect -f '{{.Id}}' "localhost/$IMAGE" 2>/dev/null || true)
    [[ $have == "$id"* ]] && return 0
    $run podman load -q -i "$tar" >/dev/null || die "podman load $tar failed${run:+ (as $USER_NAME)}"
}

setup() {
    need podman podman
    need runuser util-linux
    local tar id
    tar=$(slim_tar)
    id=$(slim_id)
    load_current podman "$tar" "$id"
    if ! id "$USER_NAME" >/dev/null 2>&1; then
        useradd -m -s /bin/sh "$USER_NAME" || die "useradd $USER_NAME failed"
        touch "$STATE/podman-user-created"
        log "created user $USER_NAME"
    fi
    local uid
    uid=$(id -u "$USER_NAME")
    grep -q "^$USER_NAME:" /etc/subuid || usermod --add-subuids 300000000-300065535 "$USER_NAME"
    grep -q "^$USER_NAME:" /etc/subgid || usermod --add-subgids 300000000-300065535 "$USER_NAME"
    install -d -m 0700 -o "$USER_NAME" -g "$USER_NAME" "/run/user/$uid"
    load_current as_user "$tar" "$id"
    # Unprivileged cntr opens /dev/fuse as the user: fuse3's udev rule makes it
    # crw-rw-rw-, but a /dev without udev may have it 0600.
    [[ $(stat -c %a /dev/fuse) == 666 ]] || { chmod 0666 /dev/fuse && log "made /dev/fuse 0666 (fuse3's default)"; }
    log "setup done: image localhost/$IMAGE in root's and $USER_NAME's stores"
}

cleanup() {
    local rc=0 ids
    if command -v podman >/dev/null; then
        ids=$(podman ps -aq --filter "label=$LABEL" 2>/dev/null || true)
        [[ -z $ids ]] || podman rm -f $ids >/dev/null || rc=1
        if id "$USER_NAME" >/dev/null 2>&1; then
            ids=$(as_user podman ps -aq --filter "label=$LABEL" 2>/dev/null || true)
            [[ -z $ids ]] || as_user podman rm -f $ids >/dev/null || rc=1
        fi
    fi
    if [[ -f $STATE/podman-user-created ]]; then
        local uid pause
        uid=$(id -u "$USER_NAME")
        # Rootless podman keeps a pause process holding its user namespace.
        pause=/run/user/$uid/libpod/tmp/pause.pid
        [[ -s $pause ]] && kill "$(cat "$pause")" 2>/dev/null && sleep 0.3
        userdel -r "$USER_NAME" 2>/dev/null || userdel -f -r "$USER_NAME" || rc=1
        # ... and its lock table in /dev/shm, named after the uid.
        rm -rf "/run/user/$uid" "/dev/shm/libpod_rootless_lock_$uid" "$STATE/podman-user-created"
        log "removed user $USER_NAME"
    fi
    ((rc == 0)) || die "cleanup failed"
    log "cleanup done"
}

fixture_main "$@"
