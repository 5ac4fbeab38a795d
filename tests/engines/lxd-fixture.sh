#!/usr/bin/env bash
# LXD fixture (ctest FIXTURES_SETUP/CLEANUP "lxd"; needs the docker one).
#
# usage: lxd-fixture.sh setup|cleanup
#   setup    start lxd unless its socket answers, give it a "dir" storage pool
#            when it has none (the minimal preseed: no network, so no lxdbr0),
#            and import the slim test image as alias cntr-test-slim from a local
#            tarball (metadata.yaml + the rootfs of a `docker export`).
#   cleanup  delete every instance whose name starts with cntrt-, and stop lxd
#            if, and only if, setup started it.
set -euo pipefail
FIXTURE=lxd-fixture
# shellcheck source=engine-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/engine-common.sh"
ALIAS=cntr-test-slim

setup() {
    need lxd lxd
    need lxc lxd-client
    start_daemon lxd "lxc info" /var/log/cntr-lxd.log lxd --group root
    if [[ -z $(lxc storage list -f csv 2>/dev/null) ]]; then
        lxd init --preseed <<'YAML' || die "lxd init --preseed failed"
storage_pools:
- name: cntrtest
  driver: dir
profiles:
- name: default
  devices:
    root:
      path: /
      pool: cntrtest
      type: disk
YAML
        log "created storage pool cntrtest (dir)"
    fi
    if ! lxc image info "$ALIAS" >/dev/null 2>&1; then
        local tmp cid
        tmp=$(mktemp -d /tmp/cntr-lxd-image.XXXXXX)
        trap 'rm -rf "$tmp"' RETURN
        mkdir -p "$tmp/rootfs"
        docker image inspect "$IMAGE" >/dev/null 2>&1 || die "$IMAGE is missing (docker fixture)"
        cid=$(docker create --label "$LABEL" "$IMAGE")
        docker export "$cid" | tar -x -C "$tmp/rootfs"
        docker rm "$cid" >/dev/null
        printf 'architecture: %s\ncreation_date: %s\nproperties:\n  description: %s\n  os: busybox\n' \
            "$(uname -m)" "$(date +%s)" "$ALIAS" >"$tmp/metadata.yaml"
        tar -C "$tmp" -czf "$tmp/image.tar.gz" metadata.yaml rootfs
        lxc image import "$tmp/image.tar.gz" --alias "$ALIAS" >/dev/null || die "lxc image import failed"
        log "imported image $ALIAS"
    fi
    log "setup done: lxd answers, image $ALIAS present"
}

cleanup() {
    local rc=0 name
    if lxc info >/dev/null 2>&1; then
        for name in $(lxc list -c n -f csv 2>/dev/null | grep '^cntrt-' || true); do
            lxc delete -f "$name" >/dev/null 2>&1 || { log "cannot delete $name"; rc=1; }
        done
    fi
    stop_daemon lxd
    ((rc == 0)) || die "cleanup failed"
    log "cleanup done"
}

fixture_main "$@"
