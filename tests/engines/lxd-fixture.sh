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

# Imports the slim image as $ALIAS from a tarball made in a temporary directory.
# No RETURN trap: it would fire again in the caller, where the local is unset.
import_image() {
    local id=$1 tmp cid rc=0
    tmp=$(mktemp -d /tmp/cntr-lxd-image.XXXXXX)
    mkdir -p "$tmp/rootfs"
    cid=$(docker create --label "$LABEL" "$IMAGE") || rc=1
    if ((rc == 0)); then
        docker export "$cid" | tar -x -C "$tmp/rootfs" || rc=1
        docker rm "$cid" >/dev/null || rc=1
    fi
    if ((rc == 0)); then
        printf 'architecture: %s\ncreation_date: %s\nproperties:\n  description: %s\n  os: busybox\n' \
            "$(uname -m)" "$(date +%s)" "$ALIAS $id" >"$tmp/metadata.yaml"
        tar -C "$tmp" -czf "$tmp/image.tar.gz" metadata.yaml rootfs &&
            lxc image import "$tmp/image.tar.gz" --alias "$ALIAS" >/dev/null || rc=1
    fi
    rm -rf "$tmp"
    ((rc == 0)) || die "could not import the slim image into lxd as $ALIAS"
    log "imported image $ALIAS ($IMAGE $id)"
}

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
    # The image's description carries the docker image id it was made from, so
    # a rebuilt slim image is imported again.
    local id
    id=$(slim_id)
    if ! lxc image info "$ALIAS" 2>/dev/null | grep -q "description: $ALIAS $id\$"; then
        lxc image delete "$ALIAS" >/dev/null 2>&1 || true
        import_image "$id"
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
