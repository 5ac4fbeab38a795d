#!/usr/bin/env bash
# Build a Debian tools image (gdb, strace, ltrace, tcpdump, iproute2, procps, lsof,
# curl, vim, python3, bpftrace where the suite has it) from Debian's archive with
# mmdebstrap, and import it into cntr's image store, so that
#     cntr attach APP --tools cntr-tools:bookworm
# works without any registry. Nothing is pulled from anywhere but the Debian mirror.
#
# usage: build-tools-image.sh [--name REF] [--suite SUITE] [--mirror URL] [--no-bpftrace] [--include PKG,...] [--store DIR] [--keep DIR] [--force]
#   --name REF       store name of the image (default cntr-tools:SUITE)
#   --suite SUITE    Debian suite (default bookworm)
#   --mirror URL     Debian mirror (default http://deb.debian.org/debian)
#   --no-bpftrace    leave bpftrace out (it brings LLVM)
#   --include LIST   more packages, comma-separated
#   --store DIR      image store (default: cntr-fatimg's, $CNTR_IMAGE_STORE or
#                    /var/lib/cntr/images)
#   --keep DIR       also keep the OCI image layout in DIR (import it elsewhere with
#                    `cntr-fatimg import oci:DIR:SUITE`)
#   --force          rebuild even if the store holds this recipe already
# Idempotent: the image carries the hash of its recipe (this script, suite, package
# list) as label org.cntr.recipe; a store image with the same hash is kept as it is.
# Needs root (mmdebstrap's root mode keeps file owners), mmdebstrap, and cntr-fatimg on
# PATH or next to this script's checkout in build-*/bin. Took 74 s on 2 idle cores and
# a fast mirror; the image is about 530 MB unpacked (195 MB compressed).
set -euo pipefail

log() { printf 'build-tools-image: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
usage() { sed -n 's/^# usage: //p' "$0"; }

suite=bookworm
name=
mirror=http://deb.debian.org/debian
bpftrace=1
extra=
store=
keep=
force=0
while (($#)); do
    case $1 in
    --name) name=${2:?--name needs a reference}; shift ;;
    --suite) suite=${2:?--suite needs a suite}; shift ;;
    --mirror) mirror=${2:?--mirror needs a URL}; shift ;;
    --no-bpftrace) bpftrace=0 ;;
    --include) extra=${2:?--include needs a package list}; shift ;;
    --store) store=${2:?--store needs a directory}; shift ;;
    --keep) keep=${2:?--keep needs a directory}; shift ;;
    --force) force=1 ;;
    -h | --help) usage; sed -n '/^#   --/p' "$0" | sed 's/^#//'; exit 0 ;;
    *) usage >&2; die "unknown argument $1" ;;
    esac
    shift
done
name=${name:-cntr-tools:$suite}

[[ $(id -u) -eq 0 ]] || die "run as root: mmdebstrap's root mode keeps the files' owners"
command -v mmdebstrap >/dev/null || die "mmdebstrap not found; apt-get install mmdebstrap"
fatimg=$(command -v cntr-fatimg || true)
if [[ -z $fatimg ]]; then
    here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
    for candidate in "$here"/../../build-*/bin/cntr-fatimg; do
        [[ -x $candidate ]] && fatimg=$candidate && break
    done
fi
[[ -n $fatimg ]] || die "cntr-fatimg not found on PATH; install cntr (cmake --install, or the .deb)"
fatimg_cmd=("$fatimg")
[[ -z $store ]] || fatimg_cmd+=(--root "$store")

packages=bash,less,ca-certificates,gdb,strace,ltrace,tcpdump,iproute2,procps,lsof,curl
packages+=,vim,python3,psmisc,netcat-openbsd,dnsutils,file
((bpftrace)) && packages+=,bpftrace
[[ -z $extra ]] || packages+=,$extra

# The recipe: what makes two builds the same image (not the mirror: it serves the suite).
recipe=$( { cat "${BASH_SOURCE[0]}"; echo "$suite $packages"; } | sha256sum | cut -c1-64)
if ((!force)); then
    if current=$("${fatimg_cmd[@]}" inspect "$name" 2>/dev/null) &&
        grep -q "\"org.cntr.recipe\": *\"$recipe\"" <<<"$current"; then
        log "$name is up to date in the store (recipe ${recipe:0:12}); --force rebuilds it"
        exit 0
    fi
fi

case $(dpkg --print-architecture) in
amd64) arch=amd64 ;;
arm64) arch=arm64 ;;
ppc64el) arch=ppc64le ;;
s390x) arch=s390x ;;
riscv64) arch=riscv64 ;;
*) die "no OCI name for architecture $(dpkg --print-architecture)" ;;
esac

# Not /tmp: the root file system passes through it twice (tar, gzip), often 1 GB.
work=$(mktemp -d "${TMPDIR:-/var/tmp}/cntr-tools-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
start=$SECONDS

log "1/3 installing $suite with $packages from $mirror (mmdebstrap)"
# Documentation and man pages are left out (a third of the size); apt's lists too.
mmdebstrap --quiet --mode=root --variant=apt --format=tar --include="$packages" \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
    "$suite" "$work/rootfs.tar" "$mirror" ||
    die "mmdebstrap failed (above); is $mirror reachable, and does $suite have every package of: $packages?"
log "    rootfs: $(du -h "$work/rootfs.tar" | cut -f1) tar, $((SECONDS - start)) s"

log "2/3 writing an OCI image layout"
layout=$work/oci
mkdir -p "$layout/blobs/sha256"
diff_id=$(sha256sum "$work/rootfs.tar" | cut -c1-64)
gzip -n -1 -c "$work/rootfs.tar" >"$work/layer.tar.gz"
rm "$work/rootfs.tar"
layer_digest=$(sha256sum "$work/layer.tar.gz" | cut -c1-64)
layer_size=$(stat -c %s "$work/layer.tar.gz")
mv "$work/layer.tar.gz" "$layout/blobs/sha256/$layer_digest"

# Writes stdin as a blob; prints "DIGEST SIZE".
put_blob() {
    cat >"$work/blob"
    local digest
    digest=$(sha256sum "$work/blob" | cut -c1-64)
    mv "$work/blob" "$layout/blobs/sha256/$digest"
    echo "$digest $(stat -c %s "$layout/blobs/sha256/$digest")"
}
created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
read -r config_digest config_size < <({
    printf '{"created":"%s","architecture":"%s","os":"linux",' "$created" "$arch"
    printf '"config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],'
    printf '"Cmd":["/bin/bash"],"Labels":{"org.cntr.recipe":"%s","org.cntr.suite":"%s"}},' \
        "$recipe" "$suite"
    printf '"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},' "$diff_id"
    printf '"history":[{"created":"%s","created_by":"build-tools-image.sh %s"}]}' \
        "$created" "$suite"
} | put_blob)
read -r manifest_digest manifest_size < <({
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",'
    printf '"config":{"mediaType":"application/vnd.oci.image.config.v1+json",'
    printf '"digest":"sha256:%s","size":%s},' "$config_digest" "$config_size"
    printf '"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip",'
    printf '"digest":"sha256:%s","size":%s}]}' "$layer_digest" "$layer_size"
} | put_blob)
printf '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' \
    "$manifest_digest" "$manifest_size" "$suite" >"$layout/index.json"
log "    layer: $((layer_size / 1048576)) MiB compressed, $((SECONDS - start)) s"

log "3/3 importing into the store as $name"
"${fatimg_cmd[@]}" import "oci:$layout:$suite" --name "$name" >/dev/null
if [[ -n $keep ]]; then
    rm -rf "$keep"
    mkdir -p "$(dirname "$keep")"
    mv "$layout" "$keep"
    log "    the OCI layout is in $keep"
fi
log "done in $((SECONDS - start)) s: cntr attach APP --tools $name"
"${fatimg_cmd[@]}" ls | sed -n "1p;/$(sed 's/[.[\*^$/]/\\&/g' <<<"${name%%:*}")/p" >&2
