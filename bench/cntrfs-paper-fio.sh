#!/usr/bin/env bash
# Where the paper's "faster than native" FIO (0.2) and Threaded I/O write (0.3) ratios
# can come from: the two profiles, native vs CNTRFS over the same directory, with and
# without a final fsync, with passthrough (the default) and with the writeback cache -
# and, unlike bench/cntrfs-bench.sh, relying on fio's own cache invalidation before
# reading (posix_fadvise DONTNEED), which through FUSE drops the FUSE file's pages but
# not the backing file's.
#
#   bench/cntrfs-paper-fio.sh [--server PATH] [--dir DIR]
#
# Prints one line per case with the CNTRFS/native ratio of 4 rounds (the side that goes
# first alternating). Needs root and fio. ~2 minutes.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/cntrfs-bench-lib.sh
source "$here/bench/cntrfs-bench-lib.sh"
server=${CNTRFS_SERVER:-}
base=/var/tmp/cntrfs-paper-fio
while (($#)); do
    case $1 in
        --server) server=$2; shift 2 ;;
        --dir) base=$2; shift 2 ;;
        -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "cntrfs-paper-fio: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
die() { echo "cntrfs-paper-fio: $*" >&2; exit 1; }
((EUID == 0)) || die "needs root (mounts); run with sudo"
command -v fio >/dev/null || die "fio is missing; run scripts/install-deps.sh --test"
[[ -n $server ]] || server=$(release_cntrfs_server "$here")
[[ -x $server ]] || die "no cntrfs-server at $server"

data=$base/data mnt=$base/mnt image=$base.img server_pid=""
cleanup() {
    if mountpoint -q "$mnt" 2>/dev/null; then umount "$mnt" 2>/dev/null || umount -l "$mnt"; fi
    if [[ -n $server_pid ]]; then wait "$server_pid" 2>/dev/null || true; fi
    if mountpoint -q "$base" 2>/dev/null; then umount "$base"; fi
    rm -rf "$base" "$image"
    fuse_uring_restore
}
trap cleanup EXIT
cleanup
mkdir -p "$base"
truncate -s 2G "$image"
mkfs.ext4 -q -F "$image"
mount -o loop "$image" "$base"
mkdir -p "$data/native" "$mnt"
fuse_uring_on

fio_s() {  # DIR NAME ARGS... -> seconds (fio's runtime)
    local dir=$1 name=$2
    shift 2
    sync
    fio --name="$name" --directory="$dir" --filename="fio.$name.dat" --ioengine=psync \
        --output-format=json "$@" 2>/dev/null |
        python3 -c 'import json,sys
j=json.load(sys.stdin)["jobs"][0]; print(max(j["read"]["runtime"], j["write"]["runtime"])/1000)'
    rm -f "$dir/fio.$name.dat"
}
# shellcheck disable=SC2034  # used through the nameref below
mix=(--rw=randrw --rwmixread=80 --bs=128k --bssplit=64k/40:128k/30:256k/30 --size=256M)
# shellcheck disable=SC2034
threads=(--rw=write --bs=4k --size=16M --numjobs=4 --thread --offset_increment=16M --group_reporting)
for cfg in "--io-uring --keep-cache" "--io-uring --keep-cache --writeback-cache"; do
    # shellcheck disable=SC2086
    "$server" --root "$data" --mount "$mnt" $cfg 2>/dev/null &
    server_pid=$!
    for _ in $(seq 100); do mountpoint -q "$mnt" && break; sleep 0.05; done
    mkdir -p "$mnt/cntrfs"
    for end in 1 0; do
        for w in mix threads; do
            declare -n args=$w
            ratios=""
            for round in 1 2 3 4; do
                if ((round % 2)); then
                    n=$(fio_s "$data/native" "$w" "${args[@]}" --end_fsync=$end)
                    c=$(fio_s "$mnt/cntrfs" "$w" "${args[@]}" --end_fsync=$end)
                else
                    c=$(fio_s "$mnt/cntrfs" "$w" "${args[@]}" --end_fsync=$end)
                    n=$(fio_s "$data/native" "$w" "${args[@]}" --end_fsync=$end)
                fi
                ratios+=" $(python3 -c "print(f'{$c / $n:.2f}')")"
            done
            label="Threaded I/O write"
            [[ $w == mix ]] && label="FIO profile"
            echo "server [$cfg] $label, end_fsync=$end: CNTRFS/native$ratios"
            unset -n args
        done
    done
    umount "$mnt"
    wait "$server_pid" || true
    server_pid=""
done
