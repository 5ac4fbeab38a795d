#!/usr/bin/env bash
# LXC fixture (ctest FIXTURES_SETUP/CLEANUP "lxc").
#
# usage: lxc-fixture.sh setup|cleanup
#   setup    check that LXC and its busybox template are installed and write
#            the container config the tests use: no network (lxc.net.0.type =
#            empty, so no lxcbr0 bridge is needed) and no AppArmor profile.
#   cleanup  destroy every LXC container whose name starts with cntrt-.
# LXC has no daemon: nothing to start or stop.
set -euo pipefail
FIXTURE=lxc-fixture
# shellcheck source=engine-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/engine-common.sh"

setup() {
    need lxc-create lxc
    need busybox busybox-static
    [[ -x /usr/share/lxc/templates/lxc-busybox ]] || die "the LXC busybox template is missing (package lxc)"
    printf 'lxc.net.0.type = empty\nlxc.apparmor.profile = unconfined\n' >"$STATE/lxc.conf"
    log "setup done: config $STATE/lxc.conf"
}

cleanup() {
    local rc=0 name
    if command -v lxc-ls >/dev/null; then
        for name in $(lxc-ls -1 2>/dev/null | grep '^cntrt-' || true); do
            lxc-destroy -f -n "$name" >/dev/null 2>&1 || { log "cannot destroy $name"; rc=1; }
        done
    fi
    ((rc == 0)) || die "cleanup failed"
    log "cleanup done"
}

fixture_main "$@"
