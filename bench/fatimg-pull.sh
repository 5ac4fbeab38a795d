#!/usr/bin/env bash
# Pull + unpack throughput: `cntr-fatimg pull` against `skopeo copy` + `umoci unpack`,
# the same multi-layer image from the same local registry, in the same run.
#
# usage: fatimg-pull.sh [--runs N] [--image large|small] [--dir DIR] [--check]
#   --runs N   measured runs per tool (default 7, after one warm-up run each)
#   --image    large (default): the 3-layer image below; small: one layer of 3000 files
#              of 1.4-5.5 KB (base64 of random bytes) in 30 directories (per-file costs, not bytes)
#   --dir DIR  write the stores and bundles under DIR instead of a fresh ext4 (see below)
#   --check    exit 2 if the image's target is not met: cntr-fatimg <= 0.3 x skopeo+umoci
#              for large, <= 0.5 x for small (wall time, medians)
# Environment: CNTR_FATIMG=path to cntr-fatimg (default: build/bin/cntr-fatimg; use a
#   Release build for numbers), CNTR_BENCH_CACHE=where the built image is cached
#   (default /var/tmp/cntr-bench-fatimg).
#
# The image (built once from local files and cached): layer 1 = /usr/lib/python3.11,
# layer 2 = /usr/share/doc, layer 3 = /etc/ssl (gzip, GNU tar, numeric owners), an OCI
# layout pushed with skopeo to the anonymous registry of tests/engines/registry-fixture.sh
# (started here if it is not running, and then stopped again on exit). Each run
# starts from an empty store / empty directories (removed, then `sync`, outside the
# timing); the two tools alternate. Prints the median wall and CPU (user+sys) time of
# each and the ratios; the target applies to wall time. Run as root.
#
# Both tools write to a new ext4 file system with mkfs.ext4's defaults (a journal) on a
# loop device, made for the run and gone at its end. Why not the host's directory: an
# ext4 without a journal (this CI machine's root) skips every inode freed in the last
# 60 s when it allocates one (ext4's recently_deleted), with a buffer lookup each, so
# after the previous run's tree was removed every file creation costs up to 1 ms of
# system time, for whichever tool runs; the figures then measure the deletions, not
# the tools. --dir DIR measures on the host's file system anyway.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FATIMG=${CNTR_FATIMG:-$ROOT/build/bin/cntr-fatimg}
CACHE=${CNTR_BENCH_CACHE:-/var/tmp/cntr-bench-fatimg}
FIXTURE=$ROOT/tests/engines/registry-fixture.sh
SOURCES=(usr/lib/python3.11 usr/share/doc etc/ssl)

log() { printf 'fatimg-pull: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
usage() { sed -n 's/^# usage: //p' "$0"; }

runs=7 check=0 image=large dir=
while (($#)); do
    case $1 in
    --runs) runs=${2:?--runs needs a number}; shift ;;
    --runs=*) runs=${1#*=} ;;
    --check) check=1 ;;
    --image) image=${2:?--image needs large or small}; shift ;;
    --dir) dir=${2:?--dir needs a directory}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument $1" ;;
    esac
    shift
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
[[ $image == large || $image == small ]] || die "--image must be large or small"
[[ -z $dir || -d $dir ]] || die "--dir $dir is not a directory"
TARGET=0.3
[[ $image == small ]] && TARGET=0.5
# Where the layers' files come from: the machine's own, or a generated tree.
TAR_ROOT=/
if [[ $image == small ]]; then SOURCES=(small); fi
[[ $(id -u) -eq 0 ]] || die "must run as root (umoci unpack and the store keep owners)"
[[ -x $FATIMG ]] || die "$FATIMG not found; build it or set CNTR_FATIMG"
for t in skopeo umoci tar gzip sha256sum mkfs.ext4; do
    command -v "$t" >/dev/null || die "$t not found; run scripts/install-deps.sh --test"
done

sha() { sha256sum "$1" | cut -d' ' -f1; }

build_image() { # -> $LAYOUT with tag "bench"
    local layout=$LAYOUT work=$CACHE/work-$image diff_ids=() layers=() d size i=0 dir f
    [[ -f $layout/index.json ]] && return 0
    log "building the benchmark image from ${SOURCES[*]} (once; cached in $CACHE)"
    rm -rf "$layout" "$work"
    mkdir -p "$layout/blobs/sha256" "$work"
    if [[ $image == small ]]; then
        TAR_ROOT=$work/src
        for ((dir = 0; dir < 30; dir++)); do
            mkdir -p "$TAR_ROOT/small/d$dir"
            for ((f = 0; f < 100; f++)); do
                head -c $((1024 + (dir * 100 + f) * 37 % 3072)) /dev/urandom |
                    base64 >"$TAR_ROOT/small/d$dir/f$f"
            done
        done
    fi
    for src in "${SOURCES[@]}"; do
        [[ -e $TAR_ROOT/$src ]] || die "$TAR_ROOT/$src missing on this machine"
        tar -C "$TAR_ROOT" --numeric-owner -cf "$work/layer$i.tar" "$src"
        diff_ids+=("sha256:$(sha "$work/layer$i.tar")")
        gzip -n -6 "$work/layer$i.tar"
        d=$(sha "$work/layer$i.tar.gz")
        size=$(stat -c %s "$work/layer$i.tar.gz")
        mv "$work/layer$i.tar.gz" "$layout/blobs/sha256/$d"
        layers+=("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$d\",\"size\":$size}")
        i=$((i + 1))
    done
    local ids config manifest
    ids=$(printf '"%s",' "${diff_ids[@]}")
    config="{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[${ids%,}]}}"
    printf '%s' "$config" >"$work/config"
    d=$(sha "$work/config")
    mv "$work/config" "$layout/blobs/sha256/$d"
    local lj
    lj=$(printf '%s,' "${layers[@]}")
    manifest="{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$d\",\"size\":${#config}},\"layers\":[${lj%,}]}"
    printf '%s' "$manifest" >"$work/manifest"
    d=$(sha "$work/manifest")
    size=$(stat -c %s "$work/manifest")
    mv "$work/manifest" "$layout/blobs/sha256/$d"
    printf '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
    printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"bench"}}]}' \
        "$d" "$size" >"$layout/index.json"
    rm -rf "$work"
}

LAYOUT=$CACHE/layout-$image
started_fixture=0 mounted=0
tmp=$(mktemp -d "${dir:-/tmp}/cntr-bench-fatimg.XXXXXX")
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    if ((mounted)); then umount "$tmp" || umount -l "$tmp" || true; fi
    rm -rf "$tmp"
    if ((started_fixture)); then "$FIXTURE" cleanup || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

build_image
if [[ -z $dir ]]; then
    # Sparse, and unlinked once mounted: the loop device holds it until the unmount.
    fs_image=$(mktemp /var/tmp/cntr-bench-fatimg-fs.XXXXXX)
    truncate -s 16G "$fs_image"
    mkfs.ext4 -q -F "$fs_image" || die "mkfs.ext4 failed"
    mount -o loop "$fs_image" "$tmp" || { rm -f "$fs_image"; die "could not mount a loop ext4 (use --dir DIR)"; }
    mounted=1
    rm -f "$fs_image"
    log "stores and bundles on a new ext4 (loop device) at $tmp"
else
    log "stores and bundles under $tmp ($(stat -f -c %T "$tmp"))"
fi
if ! "$FIXTURE" status; then
    "$FIXTURE" setup || die "could not start the local registry"
    started_fixture=1
fi
registry=$(sed -n 's/^ANON=//p' "${CNTR_REGISTRY_FIXTURE_DIR:-/run/cntr-test/registry}/env")
ref=$registry/cntr-bench/fatimg-$image:bench
skopeo copy --quiet --dest-tls-verify=false "oci:$LAYOUT:bench" "docker://$ref" || die "push to $registry failed"

files=$(tar -tzf "$LAYOUT/blobs/sha256/$(sed 's/.*"digest":"sha256:\([0-9a-f]*\)".*/\1/' "$LAYOUT/index.json" |
    xargs -I{} sh -c "grep -o 'sha256:[0-9a-f]*' $LAYOUT/blobs/sha256/{} | sed -n 2p | cut -d: -f2")" | wc -l)
bytes=$(du -cb "$LAYOUT"/blobs/sha256/* | tail -1 | cut -f1)
log "image $ref: ${#SOURCES[@]} layers, $((bytes / 1000000)) MB compressed, $files entries in layer 1"

run_fatimg() {
    "$FATIMG" --root "$tmp/store" pull -q "$ref" >/dev/null
}
run_skopeo_umoci() {
    skopeo copy --quiet --src-tls-verify=false "docker://$ref" "oci:$tmp/oci:bench" >/dev/null
    umoci unpack --image "$tmp/oci:bench" "$tmp/bundle" >/dev/null 2>&1
}
# Runs "$@" from empty directories, after writing back the previous run's dirty pages,
# and appends "wall_ms cpu_ms" (cpu = user + sys of the command and its children).
measure() { # result-array-name command
    local -n out=$1
    shift
    if [[ $1 == run_fatimg ]]; then rm -rf "$tmp/store"; else rm -rf "$tmp/oci" "$tmp/bundle"; fi
    sync
    local t
    t=$({ TIMEFORMAT='%R %U %S'; time "$@"; } 2>&1 >/dev/null | tail -1)
    out+=("$(awk '{printf "%d %d", $1 * 1000, ($2 + $3) * 1000}' <<<"$t")")
}

fat=() sk=()
measure fat run_fatimg
measure sk run_skopeo_umoci # warm-up: page cache and registry
fat=() sk=()
for ((i = 0; i < runs; i++)); do
    measure fat run_fatimg
    measure sk run_skopeo_umoci
    log "run $((i + 1))/$runs: cntr-fatimg ${fat[-1]% *} ms (cpu ${fat[-1]#* } ms), skopeo+umoci ${sk[-1]% *} ms (cpu ${sk[-1]#* } ms)"
done
# Both unpacked the same tree? (sanity: same number of entries)
n_fat=$(find "$tmp"/store/rootfs/*/ | wc -l)
n_sk=$(find "$tmp/bundle/rootfs" | wc -l)
log "entries unpacked: cntr-fatimg $n_fat (incl. var/lib/cntr), umoci $n_sk"

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
column() { local -n arr=$1; local x; for x in "${arr[@]}"; do echo "${x% *}" "${x#* }"; done | awk -v c="$2" '{print $c}'; }
mf=$(median $(column fat 1))
ms=$(median $(column sk 1))
cf=$(median $(column fat 2))
cs=$(median $(column sk 2))
ratio=$(awk -v a="$mf" -v b="$ms" 'BEGIN {printf "%.2f", a / b}')
cratio=$(awk -v a="$cf" -v b="$cs" 'BEGIN {printf "%.2f", a / b}')
printf 'cntr-fatimg pull:           median %s ms wall, %s ms cpu (%s runs)\n' "$mf" "$cf" "$runs"
printf 'skopeo copy + umoci unpack: median %s ms wall, %s ms cpu (%s runs)\n' "$ms" "$cs" "$runs"
printf 'ratio cntr-fatimg / skopeo+umoci: wall %s (target <= %s), cpu %s\n' "$ratio" "$TARGET" "$cratio"
if ((check)) && awk -v r="$ratio" -v t="$TARGET" 'BEGIN {exit !(r > t)}'; then
    log "target missed"
    exit 2
fi
