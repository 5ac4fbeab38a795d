#!/usr/bin/env bash
# CNTRFS vs native: the same workloads, one machine, one run, over the same directory.
#
#   bench/cntrfs-bench.sh [--server PATH] [--dir DIR] [--quick] [--no-toggles] [--no-loop]
#                         [--config "SERVER ARGS"] [--out FILE]
#
# By default DIR (/var/tmp/cntrfs-bench) is a fresh 4 GiB ext4 file system on a loop
# device made for the run, so that both sides start from the same empty file system and
# the host file system's mount options (here: online `discard`, which made a native
# rm -rf of the tree take a minute) do not dominate; --no-loop uses DIR as it is.
#
# Native runs in DIR/data/<workload>; CNTRFS runs in DIR/mnt/<workload>, where DIR/mnt is
# `cntrfs-server --root DIR/data --mount DIR/mnt`: the same backing directory, so the
# ratio (CNTRFS time / native time; lower is better, 1.0 = native speed) is the cost of
# the FUSE layer alone. Throughput results (dbench) are turned into the same kind of
# ratio (native throughput / CNTRFS throughput).
#
# Configurations: "all-on" (every optimization: requests on per-CPU io_uring queues,
# passthrough of reads/writes, keep cache, cached symlinks, long timeouts, parallel
# dirops, async read, batch forget, readdirplus, the security.capability shortcut, 1 MiB
# requests) runs every workload; then each optimization is turned off once (the
# writeback cache, which excludes passthrough, is turned on once instead) and the
# metadata/data workloads it can affect run again (the "toggle" table). The fuse module's
# enable_uring is set to Y for the run and restored afterwards. Cold cache = `sync; echo
# 3 > /proc/sys/vm/drop_caches` before the workload (native and CNTRFS alike).
#
# Scale (2-core VM, ~12 minutes for a full run): the tree is /usr/include (about 8000
# files, 130 MB), fio files are 256 MiB (seq) and 64 MiB (4 KiB random, 16 MiB of I/O),
# postmark 2000 files / 5000 transactions, dbench 2 clients for 6 s, sqlite 1000
# autocommit inserts, smallfile 2000 files of 4 KiB with fsync each (fs_mark has no
# Debian package; this is an equivalent written in Python and named for what it is).
# --quick shrinks everything further for a smoke test.
#
# Needs root (mount, drop_caches) and: fio dbench postmark sqlite3 python3 tar
# (scripts/install-deps.sh installs them). Prints the tables and writes them to --out.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
server=${CNTRFS_SERVER:-}
base=/var/tmp/cntrfs-bench
out=""
quick=0
toggles=1
loop=1
config_override=""
while (($#)); do
    case $1 in
        --server) server=$2; shift 2 ;;
        --dir) base=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --quick) quick=1; shift ;;
        --no-toggles) toggles=0; shift ;;
        --no-loop) loop=0; shift ;;
        --config) config_override=$2; shift 2 ;;
        -h | --help) sed -n '2,28p' "$0"; exit 0 ;;
        *) echo "cntrfs-bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

die() { echo "cntrfs-bench: $*" >&2; exit 1; }
((EUID == 0)) || die "needs root (mounts and drop_caches); run with sudo"
for tool in fio dbench postmark sqlite3 python3 tar; do
    command -v $tool >/dev/null || die "$tool is missing; run scripts/install-deps.sh"
done
if [[ -z $server ]]; then
    # An optimized build: a sanitizer build would measure the sanitizers.
    build=/var/tmp/cntrfs-bench-build
    echo "building cntrfs-server (Release) in $build ..." >&2
    cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCNTR_SANITIZE=OFF >/dev/null
    cmake --build "$build" -j2 --target cntrfs-server >/dev/null
    server=$build/bin/cntrfs-server
fi
[[ -x $server ]] || die "no cntrfs-server at $server"

data=$base/data
mnt=$base/mnt
work=$base/work
image=$base.img
server_pid=""
cleanup() {
    if mountpoint -q "$mnt" 2>/dev/null; then umount "$mnt" 2>/dev/null || umount -l "$mnt"; fi
    [[ -n $server_pid ]] && wait "$server_pid" 2>/dev/null || true
    rm -rf "$data" "$work"
    if ((loop)) && mountpoint -q "$base" 2>/dev/null; then umount "$base"; fi
    rm -f "$image"
    if [[ -n ${uring_was:-} ]]; then echo "$uring_was" >"$uring_param"; fi
}
trap cleanup EXIT
cleanup
mkdir -p "$base"
if ((loop)); then
    truncate -s 4G "$image"
    mkfs.ext4 -q -F "$image"
    mount -o loop "$image" "$base" || die "cannot loop-mount $image (try --no-loop)"
fi
mkdir -p "$data" "$mnt" "$work"

if ((quick)); then
    tree_src=/usr/include/linux
    fio_seq=64M fio_rand=32M fio_rand_io=4M pm_files=500 pm_tx=1000 db_time=3 sq_n=200 sf_n=300
else
    tree_src=/usr/include
    fio_seq=256M fio_rand=64M fio_rand_io=16M pm_files=2000 pm_tx=5000 db_time=6 sq_n=1000 sf_n=2000
fi
tarball=$work/tree.tar
tar -C "$(dirname $tree_src)" -cf "$tarball" "$(basename $tree_src)"
nfiles=$(tar -tf "$tarball" | wc -l)
t_start=$(date +%s.%N)

drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }
now() { date +%s.%N; }
# elapsed seconds of a command (output discarded)
timed() {
    local t0 t1
    sync  # earlier workloads' dirty data is not this one's to write back
    t0=$(now)
    "$@" >/dev/null 2>&1
    t1=$(now)
    python3 -c "print(f'{$t1 - $t0:.4f}')"
    printf '  %s: %.2fs (at %.0fs)\n' "$1" "$(python3 -c "print($t1 - $t0)")" \
        "$(python3 -c "print($t1 - $t_start)")" >&2
}

keep=/var/tmp/cntrfs-bench-logs  # server logs and core dumps survive the cleanup
mkdir -p "$keep"
start_server() {
    echo "== server args: $*" >>"$keep/server.log"
    (cd "$keep" && ulimit -c unlimited && exec "$server" --root "$data" --mount "$mnt" "$@" \
        2>>"$keep/server.log") &
    server_pid=$!
    for _ in $(seq 100); do
        mountpoint -q "$mnt" && stat "$mnt" >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    die "cntrfs-server did not mount (args: $*); see $keep/server.log"
}
stop_server() {
    local rc=0
    umount "$mnt" 2>/dev/null || umount -l "$mnt"
    wait "$server_pid" || rc=$?
    server_pid=""
    if ((rc != 0)); then
        echo "cntrfs-bench: cntrfs-server exited with status $rc; log and core in $keep" >&2
        crashed+=("$1 (status $rc)")
    fi
}
crashed=()

fio_job() {  # fio_job DIR NAME RW BS SIZE [IO_SIZE] -> seconds (fio's own runtime)
    local dir=$1 name=$2 rw=$3 bs=$4 size=$5 io=${6:-$5}
    [[ $rw == read || $rw == randread ]] && drop_caches
    fio --name="$name" --directory="$dir" --filename=fio.$name.dat --rw="$rw" --bs="$bs" \
        --size="$size" --io_size="$io" --ioengine=psync --end_fsync=1 --invalidate=1 \
        --output-format=json 2>/dev/null |
        python3 -c 'import json,sys
try:
    j=json.load(sys.stdin)["jobs"][0]; print((j["read"]["runtime"]+j["write"]["runtime"])/1000)
except Exception: print("failed")'
}

sqlite_inserts() {
    local db=$1/bench.db
    rm -f "$db"
    sqlite3 "$db" "PRAGMA journal_mode=DELETE; CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);" >/dev/null
    { echo "PRAGMA synchronous=FULL;"; for i in $(seq 1 $sq_n); do echo "INSERT INTO t(v) VALUES ('row $i');"; done; } |
        sqlite3 "$db"
}

postmark_run() {
    mkdir -p "$1/pm"
    printf 'set location %s\nset number %s\nset transactions %s\nset size 500 16384\nrun\nquit\n' \
        "$1/pm" "$pm_files" "$pm_tx" | postmark >/dev/null
}

dbench_tp() {  # MB/s
    mkdir -p "$1/db"
    dbench -c /usr/share/dbench/client.txt -D "$1/db" -t "$db_time" 2 2>/dev/null |
        awk '/^Throughput/ {print $2}'
    rm -rf "$1/db"
}

smallfile() {  # fs_mark-like: N files of 4 KiB, fsync each, 4 directories
    python3 - "$1/sf" "$sf_n" <<'PY'
import os, sys
base, n = sys.argv[1], int(sys.argv[2])
data = b"x" * 4096
for d in range(4):
    os.makedirs(f"{base}/{d}", exist_ok=True)
for i in range(n):
    fd = os.open(f"{base}/{i % 4}/f{i}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    os.write(fd, data)
    os.fsync(fd)
    os.close(fd)
PY
}

declare -A R  # R[config/target/workload] = seconds (or seconds-equivalent)

# run_suite CONFIG FULL NATIVE_TOO: every workload (FULL=0: the toggle subset) through
# the mount, each one right after the same workload natively when NATIVE_TOO=1, so
# that drift of the machine (other load, the disk's write-back) hits both alike.
run_suite() {
    local cfg=$1 full=$2 native_too=$3
    local -a targets=("$cfg/c:$mnt/cntrfs")
    ((native_too)) && targets=("native/n:$data/native" "${targets[@]}")
    each() {  # each WORKLOAD COMMAND... (DIR and TREE substituted per target)
        local w=$1 t key dir
        shift
        for t in "${targets[@]}"; do
            key=${t%%:*} dir=${t#*:}
            R[$key/$w]=$("$@" "$dir")
        done
    }
    for t in "${targets[@]}"; do mkdir -p "${t#*:}"; done
    local tn
    tn=$(basename $tree_src)
    each untar w_untar
    each find-stat-cold w_find "$tn" cold
    each find-stat-warm w_find "$tn" warm
    each grep-r-cold w_grep "$tn"
    each cp-a w_cp "$tn"
    each rm-rf w_rm "$tn"
    each fio-seq-write w_fio seq write 1M $fio_seq $fio_seq
    each fio-seq-read w_fio seq read 1M $fio_seq $fio_seq
    each fio-4k-randwrite w_fio rnd randwrite 4k $fio_rand $fio_rand_io
    each fio-4k-randread w_fio rnd randread 4k $fio_rand $fio_rand_io
    each sqlite-1000-inserts timed sqlite_inserts
    each smallfile-create timed smallfile
    if ((full)); then
        each postmark timed postmark_run
        each dbench w_dbench
    fi
    for t in "${targets[@]}"; do rm -rf "${t#*:}"; done
}
w_untar() { timed tar -C "$1" -xf "$tarball"; }
w_find() {
    [[ $2 == cold ]] && drop_caches
    timed find "$3/$1" -printf '%s %m %u\n'
}
w_grep() { drop_caches; timed grep -r -c zzz-never-there "$2/$1"; }
w_cp() { timed cp -a "$2/$1" "$2/copy"; }
w_rm() { timed rm -rf "$2/copy" "$2/$1"; }
w_fio() {  # NAME RW BS SIZE IO DIR
    local r
    r=$(fio_job "$6" "$1" "$2" "$3" "$4" "$5")
    echo "  fio $2 $3: ${r}s" >&2
    [[ $2 == randread ]] && rm -f "$6"/fio.*.dat
    echo "$r"
}
w_dbench() {
    local tp
    tp=$(dbench_tp "$1")
    echo "  dbench: $tp MB/s" >&2
    python3 -c "print(f'{1000.0 / $tp:.4f}')"  # seconds per GB
}

workloads=(untar find-stat-cold find-stat-warm grep-r-cold cp-a rm-rf fio-seq-write fio-seq-read
    fio-4k-randwrite fio-4k-randread sqlite-1000-inserts smallfile-create postmark dbench)
declare -A paper=(
    [untar]="compilebench-create 7.3" [grep-r-cold]="compilebench-read 13.3"
    [postmark]="postmark 7.1" [fio-4k-randwrite]="aio-stress 2.6"
    [sqlite-1000-inserts]="sqlite 1.9" [fio-seq-write]="iozone-write 1.2"
    [fio-4k-randread]="FIO 0.2" [dbench]="threaded-io write 0.3"
    [smallfile-create]="compilebench-create 7.3" [cp-a]="compilebench-create 7.3")

# All on: passthrough (the server's default; the kernel excludes it with the writeback
# cache) and requests on per-CPU io_uring queues.
base_opts="--keep-cache --cache-symlinks --entry-timeout 60 --attr-timeout 60"
all_on=(--io-uring $base_opts)
# --config "ARGS": the main table with these server options instead (e.g. all-on minus
# the writeback cache, which measured slower here).
# shellcheck disable=SC2206
[[ -n $config_override ]] && all_on=($config_override)
declare -A toggle_args=(
    [no-io-uring]="$base_opts"
    [no-passthrough]="${all_on[*]} --no-passthrough"
    [writeback-cache]="${all_on[*]} --writeback-cache"
    [no-keep-cache]="--io-uring --cache-symlinks --entry-timeout 60 --attr-timeout 60"
    [short-timeouts-1s]="--io-uring --keep-cache --cache-symlinks"
    [no-negative-cache]="${all_on[*]} --negative-timeout 0"
    [no-splice]="$base_opts --no-splice"  # the ring copies anyway: compare with no-io-uring
    [no-parallel-dirops]="${all_on[*]} --no-parallel-dirops"
    [no-async-read]="${all_on[*]} --no-async-read"
    [no-batch-forget]="${all_on[*]} --no-batch-forget"
    [no-readdirplus]="${all_on[*]} --no-readdirplus"
    [no-cache-symlinks]="--io-uring --keep-cache --entry-timeout 60 --attr-timeout 60"
    [no-xattr-shortcut]="${all_on[*]} --no-xattr-shortcut"
    [one-thread]="${all_on[*]} --threads 1"
    [max-write-128k]="${all_on[*]} --max-write 131072"
)
toggle_order=(no-io-uring no-passthrough writeback-cache no-keep-cache short-timeouts-1s no-negative-cache no-splice
    no-parallel-dirops no-async-read no-batch-forget no-readdirplus no-cache-symlinks
    no-xattr-shortcut one-thread max-write-128k)

# --io-uring needs the fuse module's enable_uring (a machine-wide switch, off by
# default): on for the run, restored afterwards (cleanup).
uring_param=/sys/module/fuse/parameters/enable_uring
uring_was=$(cat $uring_param 2>/dev/null || echo "")
[[ -n $uring_was ]] && echo Y >$uring_param
echo "tree: $tree_src ($nfiles entries); native in $data, CNTRFS at $mnt" >&2
echo "== native and cntrfs all-on: ${all_on[*]}" >&2
start_server "${all_on[@]}"
run_suite all-on 1 1
stop_server all-on
if ((toggles)); then
    for t in "${toggle_order[@]}"; do
        echo "== cntrfs $t: ${toggle_args[$t]}" >&2
        # shellcheck disable=SC2086
        start_server ${toggle_args[$t]}
        run_suite "$t" 0 0
        stop_server "$t"
    done
fi
t_end=$(now)

ratio() {  # "-" when a run failed (empty or non-numeric time)
    python3 -c "import sys
try: print(f'{float(sys.argv[2]) / float(sys.argv[1]):.2f}')
except Exception: print('-')" "$1" "$2"
}
{
    echo "## CNTRFS / native ($(date -u +%Y-%m-%dT%H:%MZ), $(uname -r), $(nproc) CPUs, tree $tree_src: $nfiles entries)"
    echo
    echo "| workload | native s | CNTRFS s | ratio | paper counterpart (ratio) |"
    echo "|---|---:|---:|---:|---|"
    logsum=0 count=0 below=0
    for w in "${workloads[@]}"; do
        n=${R[native/n/$w]} c=${R[all-on/c/$w]}
        r=$(ratio "$n" "$c")
        extra=""
        [[ $w == dbench ]] && extra=" (s per GB)"
        echo "| $w$extra | $n | $c | $r | ${paper[$w]:--} |"
        [[ $r == - ]] && continue
        logsum=$(python3 -c "import math; print($logsum + math.log($r))")
        count=$((count + 1))
        below=$(python3 -c "print($below + (1 if $r < 1.5 else 0))")
    done
    echo
    echo "geometric mean of the ratios: $(python3 -c "import math; print(f'{math.exp($logsum / $count):.2f}')"); below 1.5: $below of $count"
    if ((toggles)); then
        echo
        echo "### Each optimization off once (ratio to native; all-on for comparison)"
        echo
        sub=(untar find-stat-cold find-stat-warm grep-r-cold cp-a rm-rf fio-seq-write fio-seq-read
            fio-4k-randwrite fio-4k-randread sqlite-1000-inserts smallfile-create)
        printf '| config |'; for w in "${sub[@]}"; do printf ' %s |' "$w"; done; echo
        printf '|---|'; for _ in "${sub[@]}"; do printf -- '---:|'; done; echo
        for cfg in all-on "${toggle_order[@]}"; do
            printf '| %s |' "$cfg"
            for w in "${sub[@]}"; do printf ' %s |' "$(ratio "${R[native/n/$w]}" "${R[$cfg/c/$w]}")"; done
            echo
        done
    fi
    echo
    ((${#crashed[@]})) && echo "SERVER FAILURES: ${crashed[*]} (see $keep)"
    echo "total bench time: $(python3 -c "print(f'{$t_end - $t_start:.0f}')") s"
} | tee ${out:+"$out"}
