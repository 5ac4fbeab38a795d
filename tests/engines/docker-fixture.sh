#!/usr/bin/env bash
# Docker engine fixture for the test suite (meant for ctest FIXTURES_SETUP /
# FIXTURES_CLEANUP, run once around the tests that need Docker).
#
# usage: docker-fixture.sh setup|cleanup
#   setup    start dockerd if none answers (scripts/dockerd-up.sh) and build the
#            slim test image cntr-test-slim:latest if missing. Dependencies are
#            assumed installed (scripts/install-deps.sh is too slow to run per test).
#   cleanup  remove every container labelled cntr-test=1, then stop dockerd if, and
#            only if, scripts/dockerd-up.sh started it (scripts/dockerd-down.sh).
# Tests must start their containers with `--label cntr-test=1`.
# Exit status is non-zero, with a message, on any failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
IMAGE=cntr-test-slim:latest
LABEL=cntr-test=1

log() { printf 'docker-fixture: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

setup() {
    "$ROOT/scripts/dockerd-up.sh" || die "setup: could not get a running Docker daemon (see /var/log/cntr-dockerd.log)"
    "$ROOT/examples/demo/build-slim-image.sh" "$IMAGE" || die "setup: could not build $IMAGE"
    log "setup done: docker is up, image $IMAGE is present"
}

cleanup() {
    local rc=0 ids
    if docker info >/dev/null 2>&1; then
        ids=$(docker ps -aq --filter "label=$LABEL") || { log "cleanup: docker ps failed"; rc=1; }
        if [[ -n ${ids:-} ]]; then
            # shellcheck disable=SC2086 # one id per word
            docker rm -f $ids >/dev/null || { log "cleanup: could not remove containers: ${ids//$'\n'/ }"; rc=1; }
            log "cleanup: removed $(wc -w <<<"$ids") container(s) labelled $LABEL"
        fi
    else
        log "cleanup: no Docker daemon answers; no containers to remove"
    fi
    "$ROOT/scripts/dockerd-down.sh" || { log "cleanup: stopping dockerd failed"; rc=1; }
    ((rc == 0)) || die "cleanup failed"
    log "cleanup done"
}

[[ $(id -u) -eq 0 ]] || die "must run as root"
case ${1:-} in
setup) setup ;;
cleanup) cleanup ;;
*) die "usage: $0 setup|cleanup" ;;
esac
