#!/usr/bin/env bash
# The Debian tools image of examples/tools-image, built once into a store of the
# test state ($STATE/tools-image/store) with the example's own script, which keeps it
# when its recipe is unchanged (a re-run after a killed one costs a second).
#
# usage: tools-image-fixture.sh setup|cleanup CNTR_FATIMG   (as root; setup needs the
#        Debian mirror)
# cleanup keeps the store, a cache like the registry's (--fresh removes it), but drops
# what a killed build or import left in it and in the build's temporary directory.
set -euo pipefail
FIXTURE=tools-image-fixture
# shellcheck source=../engines/engine-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../engines/engine-common.sh"

usage="usage: tools-image-fixture.sh setup|cleanup CNTR_FATIMG"
fatimg=${2:?$usage}
work=$STATE/tools-image/tmp

case ${1:-} in
setup)
    need mmdebstrap "mmdebstrap"
    mkdir -p "$STATE/tools-image"
    exec 9>"$STATE/tools-image.lock"
    flock -w 1200 9 || die "timed out waiting for $STATE/tools-image.lock"
    rm -rf "$work"
    mkdir -p "$work"
    start=$SECONDS
    PATH=$(dirname "$fatimg"):$PATH TMPDIR=$work \
        "$ROOT/examples/tools-image/build-tools-image.sh" --store "$STATE/tools-image/store"
    size=$(du -sh "$("$fatimg" --root "$STATE/tools-image/store" path cntr-tools:bookworm)" | cut -f1)
    log "cntr-tools:bookworm ready in $((SECONDS - start)) s; unpacked size $size"
    ;;
cleanup)
    rm -rf "$work"
    if [[ -d $STATE/tools-image/store ]]; then
        "$fatimg" --root "$STATE/tools-image/store" gc >/dev/null
    fi
    ;;
*) die "$usage" ;;
esac
