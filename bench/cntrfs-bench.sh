#!/usr/bin/env bash
# CNTRFS vs native: the same workloads, one machine, one run, over the same directory.
#
#   bench/cntrfs-bench.sh [--server PATH] [--dir DIR] [--quick] [--no-toggles] [--no-loop]
#                         [--rounds N] [--config "SERVER ARGS"] [--out FILE]
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
# The main table comes from --rounds (6) rounds of every workload, native and CNTRFS back
# to back each time, native first in odd rounds and CNTRFS first in even ones: on this VM
# the second run of a pair can take several times longer when the first one's write-back
# is still going on (fio's 256 MiB + fsync: ratios of 0.2 and 6.5 in consecutive rounds).
# A pair of rounds (one in each order) gives the ratio sqrt(r_odd * r_even), in which that
# penalty cancels; the table shows the median over the pairs and their range.
#
# Configurations: "all-on" (every optimization: requests on per-CPU io_uring queues,
# passthrough of reads/writes, keep cache, cached symlinks, long timeouts, parallel
# dirops, async read, batch forget, readdirplus, the security.capability shortcut and
# FUSE_HANDLE_KILLPRIV_V2, 1 MiB requests) runs every workload; then each optimization is turned off once (the
# writeback cache, which excludes passthrough, is turned on once instead) and the
# metadata/data workloads it can affect run again (the "toggle" table). The fuse module's
# enable_uring is set to Y for the run and restored afterwards. Cold cache = `sync; echo
# 3 > /proc/sys/vm/drop_caches` before the workload (native and CNTRFS alike).
#
# Scale (2-core VM, ~15 minutes for a full run): the tree is /usr/include (about 9000
# entries, 130 MB); fio files are 256 MiB (sequential) and 64 MiB (4 KiB random, 16 MiB
# of I/O); the paper's FIO profile (80% random reads / 20% random writes, blocks of
# 64/128/256 KiB averaging 140 KiB) on 256 MiB; its Threaded I/O write (4 threads writing
# one 64 MiB file in 4 KiB blocks); postmark 2000 files / 5000 transactions; dbench with
# 2 and with 12 clients for 6 s each (the paper: "with increasing number of clients" no
# overhead); sqlite 1000 autocommit inserts; two fs_mark-like runs (fs_mark has no
# Debian package; written in Python and named for what they are): smallfile-create, 2000
# files of 4 KiB, and fsmark-1mib, the paper's FS-Mark profile (1 MiB files in 16 KiB
# writes) with 300 files instead of 1000; both fsync each file.
# --quick shrinks everything further for a smoke test.
#
# Needs root (mount, drop_caches) and: fio dbench postmark sqlite3 python3 tar
# (scripts/install-deps.sh --test installs them). Prints the tables and writes them to --out.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/cntrfs-bench-lib.sh
source "$here/bench/cntrfs-bench-lib.sh"
server=${CNTRFS_SERVER:-}
base=/var/tmp/cntrfs-bench
out=""
quick=0
toggles=1
loop=1
rounds=6
config_override=""
while (($#)); do
    case $1 in
        --server) server=$2; shift 2 ;;
        --dir) base=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --quick) quick=1; shift ;;
        --no-toggles) toggles=0; shift ;;
        --no-loop) loop=0; shift ;;
        --rounds) rounds=$2; shift 2 ;;
        --config) config_override=$2; shift 2 ;;
        -h | --help) sed -n '2,36p' "$0"; exit 0 ;;
        *) echo "cntrfs-bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

die() { echo "cntrfs-bench: $*" >&2; exit 1; }
[[ $rounds =~ ^[0-9]*[02468]$ && $rounds -gt 0 ]] ||
    die "--rounds needs a positive even number (the sides alternate in pairs), not '$rounds'"
((EUID == 0)) || die "needs root (mounts and drop_caches); run with sudo"
for tool in fio dbench postmark sqlite3 python3 tar; do
    command -v $tool >/dev/null || die "$tool is missing; run scripts/install-deps.sh --test"
done
[[ -n $server ]] || server=$(release_cntrfs_server "$here")
[[ -x $server ]] || die "no cntrfs-server at $server"

data=$base/data
mnt=$base/mnt
work=$base/work
image=$base.img
server_pid=""
cleanup() {
    if mountpoint -q "$mnt" 2>/dev/null; then umount "$mnt" 2>/dev/null || umount -l "$mnt"; fi
    if [[ -n $server_pid ]]; then wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$data" "$work"
    if ((loop)) && mountpoint -q "$base" 2>/dev/null; then umount "$base"; fi
    rm -f "$image"
    fuse_uring_restore
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
    fio_seq=64M fio_rand=32M fio_rand_io=4M fio_mix=64M pm_files=500 pm_tx=1000 db_time=3 sq_n=200 sf_n=300 fm_n=30
else
    tree_src=/usr/include
    fio_seq=256M fio_rand=64M fio_rand_io=16M fio_mix=256M pm_files=2000 pm_tx=5000 db_time=6 sq_n=1000 sf_n=2000 fm_n=300
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
    (cd "$keep" && { ulimit -c unlimited 2>/dev/null || true; } && exec "$server" --root "$data" --mount "$mnt" "$@" \
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

fio_job() {  # fio_job DIR NAME RW BS SIZE IO [FIO ARGS...] -> seconds (fio's own runtime)
    local dir=$1 name=$2 rw=$3 bs=$4 size=$5 io=$6
    shift 6
    local -a args=(--name="$name" --directory="$dir" --filename="fio.$name.dat" --rw="$rw"
        --bs="$bs" --size="$size" --io_size="$io" --ioengine=psync --end_fsync=1 --invalidate=1 "$@")
    sync  # earlier workloads' dirty data is not this one's to write back
    if [[ $rw == randrw ]]; then
        # Laid out first, so that both sides start from the disk: fio's own invalidation
        # would drop FUSE's pages but not those of the backing file.
        fio "${args[@]}" --create_only=1 >/dev/null 2>&1
        drop_caches
    fi
    [[ $rw == read || $rw == randread ]] && drop_caches
    # A mixed job reports the same runtime for its reads and its writes: the longer one.
    fio "${args[@]}" --output-format=json 2>/dev/null |
        python3 -c 'import json,sys
try:
    j=json.load(sys.stdin)["jobs"][0]; print(max(j["read"]["runtime"], j["write"]["runtime"])/1000)
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

dbench_tp() {  # dbench_tp CLIENTS DIR -> MB/s
    mkdir -p "$2/db"
    dbench -c /usr/share/dbench/client.txt -D "$2/db" -t "$db_time" "$1" 2>/dev/null |
        awk '/^Throughput/ {print $2}'
    rm -rf "$2/db"
}

# fs_mark-like (fs_mark has no Debian package): N files in 4 directories, each written in
# pieces of PIECE bytes up to SIZE bytes and fsync'ed before close.
fsmark() {  # fsmark DIR N SIZE PIECE
    python3 - "$@" <<'PY'
import os, sys
base, n, size, piece = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
data = b"x" * piece
for d in range(4):
    os.makedirs(f"{base}/{d}", exist_ok=True)
for i in range(n):
    fd = os.open(f"{base}/{i % 4}/f{i}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    for _ in range(size // piece):
        os.write(fd, data)
    os.fsync(fd)
    os.close(fd)
PY
}
smallfile() { fsmark "$1/sf" "$sf_n" 4096 4096; }                       # many small files
fsmark_1m() { fsmark "$1/fm" "$fm_n" $((1 << 20)) $((16 << 10)); rm -rf "$1/fm"; }  # the paper's

declare -A R  # R[config/target/workload] = seconds (or seconds-equivalent)

# run_suite CONFIG FULL NATIVE_TOO: every workload (FULL=0: the toggle subset) through
# the mount, each one right after the same workload natively when NATIVE_TOO=1, so
# that drift of the machine (other load, the disk's write-back) hits both alike.
run_suite() {
    local cfg=$1 full=$2 native_too=$3 cntrfs_first=${4:-0}
    local -a targets=("$cfg/c:$mnt/cntrfs")
    # Which side goes first alternates between rounds: the second run of a pair finds the
    # disk still busy with the first one's write-back (fsync-bound workloads measured up
    # to 2x worse in second place).
    if ((native_too)); then
        if ((cntrfs_first)); then
            targets+=("native/n:$data/native")
        else
            targets=("native/n:$data/native" "${targets[@]}")
        fi
    fi
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
        each fio-fileserver-mix w_fio mix randrw 128k $fio_mix $fio_mix --rwmixread=80 \
            --bssplit=64k/40:128k/30:256k/30
        each fio-threaded-write w_fio threads write 4k 16M 16M --numjobs=4 --thread \
            --offset_increment=16M --group_reporting
        each fsmark-1mib timed fsmark_1m
        each postmark timed postmark_run
        each dbench-2-clients w_dbench 2
        each dbench-12-clients w_dbench 12
    fi
    for t in "${targets[@]}"; do rm -rf "${t#*:}"; done
}
w_untar() { timed tar -C "$1" -xf "$tarball"; }
# Each side sets up its own cache state right before it is timed: the other side's run in
# between (a drop_caches drops the FUSE mount's inodes too) must not leave it colder or
# warmer depending on which side went first.
w_find() {
    if [[ $2 == cold ]]; then
        drop_caches
    else
        find "$3/$1" -printf '%s %m %u\n' >/dev/null
    fi
    timed find "$3/$1" -printf '%s %m %u\n'
}
w_grep() { drop_caches; timed grep -r -c zzz-never-there "$2/$1"; }
w_cp() { drop_caches; timed cp -a "$2/$1" "$2/copy"; }
w_rm() { drop_caches; timed rm -rf "$2/copy" "$2/$1"; }
w_fio() {  # NAME RW BS SIZE IO [FIO ARGS...] DIR
    local r dir=${*: -1}
    r=$(fio_job "$dir" "${@:1:$#-1}")
    echo "  fio $1 $2 $3: ${r}s" >&2
    [[ $2 == randread || $2 == randrw || $1 == threads ]] && rm -f "$dir/fio.$1.dat"
    [[ $2 == randread ]] && rm -f "$dir"/fio.*.dat
    echo "$r"
}
w_dbench() {  # CLIENTS DIR
    local tp
    tp=$(dbench_tp "$1" "$2")
    echo "  dbench $1 clients: $tp MB/s" >&2
    python3 -c "print(f'{1000.0 / $tp:.4f}')"  # seconds per GB
}

workloads=(untar find-stat-cold find-stat-warm grep-r-cold cp-a rm-rf fio-seq-write fio-seq-read
    fio-4k-randwrite fio-4k-randread fio-fileserver-mix fio-threaded-write sqlite-1000-inserts
    smallfile-create fsmark-1mib postmark dbench-2-clients dbench-12-clients)
# The closest benchmark of the paper (Figure 2 / section 5.2.2) and its ratio. The paper
# reports no figure for dbench but says it "does not incur performance overhead": 1.0.
declare -A paper=(
    [untar]="compilebench-create 7.3" [grep-r-cold]="compilebench-read 13.3"
    [postmark]="postmark 7.1" [fio-4k-randwrite]="aio-stress 2.6"
    [sqlite-1000-inserts]="sqlite 1.9" [fio-seq-write]="iozone-write 1.2"
    [fio-fileserver-mix]="FIO 0.2" [fio-threaded-write]="threaded-io write 0.3"
    [dbench-2-clients]="dbench 1.0" [dbench-12-clients]="dbench 1.0" [fsmark-1mib]="fs-mark 1.0" [cp-a]="compilebench-create 7.3")

# All on: passthrough (the server's default; the kernel excludes it with the writeback
# cache) and requests on per-CPU io_uring queues.
base_opts="--keep-cache --cache-symlinks --entry-timeout 60 --attr-timeout 60"
# shellcheck disable=SC2206  # base_opts is a list of words
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
    [no-handle-killpriv]="${all_on[*]} --no-handle-killpriv"
    [one-thread]="${all_on[*]} --threads 1"
    [max-write-128k]="${all_on[*]} --max-write 131072"
)
toggle_order=(no-io-uring no-passthrough writeback-cache no-keep-cache short-timeouts-1s no-negative-cache no-splice
    no-parallel-dirops no-async-read no-batch-forget no-readdirplus no-cache-symlinks
    no-xattr-shortcut no-handle-killpriv one-thread max-write-128k)

fuse_uring_on  # restored by cleanup
echo "tree: $tree_src ($nfiles entries); native in $data, CNTRFS at $mnt" >&2
echo "== native and cntrfs all-on: ${all_on[*]}" >&2
start_server "${all_on[@]}"
declare -A rounds_of  # rounds_of[target/workload] = "seconds seconds ..." (one per round)
for ((round = 1; round <= rounds; round++)); do
    echo "== round $round of $rounds" >&2
    run_suite all-on 1 1 $(((round + 1) % 2))
    for w in "${workloads[@]}"; do
        for key in native/n all-on/c; do rounds_of[$key/$w]+="${R[$key/$w]} "; done
    done
done
stop_server all-on
# The main table's figures: medians of the rounds ("failed" rounds left out) for the
# seconds, and for the ratio the median over pairs of rounds of sqrt(r_odd * r_even).
median() { python3 -c "import statistics, sys
v = [float(x) for x in sys.argv[1:] if x.replace('.', '', 1).isdigit()]
print(f'{statistics.median(v):.4f}' if v else 'failed')" "$@"; }
# pair_ratios NATIVE_ROUNDS CNTRFS_ROUNDS MODE: MODE "median" or "range" ("a-b").
pair_ratios() { python3 -c "import math, statistics, sys
n, c = sys.argv[1].split(), sys.argv[2].split()
pairs = []
for i in range(0, min(len(n), len(c)) - 1, 2):
    try: pairs.append(math.sqrt(float(c[i]) / float(n[i]) * float(c[i + 1]) / float(n[i + 1])))
    except (ValueError, ZeroDivisionError): pass
if not pairs: print('-')
elif sys.argv[3] == 'median': print(f'{statistics.median(pairs):.2f}')
else: print(f'{min(pairs):.2f}-{max(pairs):.2f}')" "$1" "$2" "$3"; }
for w in "${workloads[@]}"; do
    # shellcheck disable=SC2086
    for key in native/n all-on/c; do R[$key/$w]=$(median ${rounds_of[$key/$w]}); done
done
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
    echo "$rounds rounds, the side that goes first alternating; seconds: medians; ratio: median over pairs of rounds of sqrt(ratio native-first x ratio CNTRFS-first); range: lowest and highest pair."
    echo
    echo "| workload | native s | CNTRFS s | ratio | range | paper counterpart (ratio) | vs paper |"
    echo "|---|---:|---:|---:|---:|---|---|"
    logsum=0 count=0 below=0 worse=0
    for w in "${workloads[@]}"; do
        n=${R[native/n/$w]} c=${R[all-on/c/$w]}
        r=$(pair_ratios "${rounds_of[native/n/$w]}" "${rounds_of[all-on/c/$w]}" median)
        extra="" verdict="-"
        [[ $w == dbench-* ]] && extra=" (s per GB)"
        if [[ -n ${paper[$w]:-} && $r != - ]]; then
            if python3 -c "import sys; sys.exit(0 if $r <= ${paper[$w]##* } else 1)"; then
                verdict="at or below"
            else
                verdict="**above**"
                worse=$((worse + 1))
            fi
        fi
        echo "| $w$extra | $n | $c | $r | $(pair_ratios "${rounds_of[native/n/$w]}" "${rounds_of[all-on/c/$w]}" range) | ${paper[$w]:--} | $verdict |"
        [[ $r == - ]] && continue
        logsum=$(python3 -c "import math; print($logsum + math.log($r))")
        count=$((count + 1))
        below=$(python3 -c "print($below + (1 if $r < 1.5 else 0))")
    done
    echo
    echo "geometric mean of the ratios: $(python3 -c "import math; print(f'{math.exp($logsum / $count):.2f}')"); below 1.5: $below of $count; above the paper's ratio: $worse of ${#paper[@]}"
    if ((toggles)); then
        echo
        echo "### Each optimization off once (one CNTRFS run each, divided by the native median; all-on as in the table above)"
        echo
        sub=(untar find-stat-cold find-stat-warm grep-r-cold cp-a rm-rf fio-seq-write fio-seq-read
            fio-4k-randwrite fio-4k-randread sqlite-1000-inserts smallfile-create)
        printf '| config |'; for w in "${sub[@]}"; do printf ' %s |' "$w"; done; echo
        printf '|---|'; for _ in "${sub[@]}"; do printf -- '---:|'; done; echo
        for cfg in all-on "${toggle_order[@]}"; do
            printf '| %s |' "$cfg"
            for w in "${sub[@]}"; do
                if [[ $cfg == all-on ]]; then  # as in the main table
                    printf ' %s |' "$(pair_ratios "${rounds_of[native/n/$w]}" "${rounds_of[all-on/c/$w]}" median)"
                else
                    printf ' %s |' "$(ratio "${R[native/n/$w]}" "${R[$cfg/c/$w]}")"
                fi
            done
            echo
        done
    fi
    echo
    ((${#crashed[@]})) && echo "SERVER FAILURES: ${crashed[*]} (see $keep)"
    echo "total bench time: $(python3 -c "print(f'{$t_end - $t_start:.0f}')") s"
} | tee ${out:+"$out"}
