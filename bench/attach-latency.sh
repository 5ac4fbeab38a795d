#!/usr/bin/env bash
# Attach latency: how long does it take to run `true` inside a running container
# with `cntr attach`, compared with `docker exec` and a bare `nsenter -a`?
#
# usage: attach-latency.sh [--runs N] [--json FILE] [--check]
#   --runs N     measured runs per command (default 20; 3 warm-up runs come first)
#   --json FILE  keep hyperfine's JSON export (or the fallback's raw times) in FILE
#   --check      exit 2 if the target "cntr <= 0.5 x docker exec" is not met
# Environment: CNTR=path to the cntr binary (default: build/bin/cntr in the repo);
#   CNTR_BENCH_NO_HYPERFINE=1 forces the bash-loop fallback.
# Also times engine resolution alone (hidden `cntr resolve`, Engine API vs the
# docker CLI fallback) and attach with the CLI fallback.
#
# Starts a throw-away container from cntr-demo-slim:latest (built if missing),
# labelled cntr-test=1, and removes it on exit. Uses hyperfine if installed, else
# a bash loop timed with `date +%s%N`. Prints the median wall time of each command
# in ms and the ratios cntr/docker-exec and cntr/nsenter. Run as root.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CNTR=${CNTR:-$ROOT/build/bin/cntr}
IMAGE=cntr-demo-slim:latest
TARGET=0.5

log() { printf 'attach-latency: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
usage() { sed -n 's/^# usage: //p' "$0"; }

runs=20 json_out='' check=0
while (($#)); do
    case $1 in
    --runs) runs=${2:?--runs needs a number}; shift ;;
    --runs=*) runs=${1#*=} ;;
    --json) json_out=${2:?--json needs a file}; shift ;;
    --json=*) json_out=${1#*=} ;;
    --check) check=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument $1" ;;
    esac
    shift
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
[[ $(id -u) -eq 0 ]] || die "must run as root (nsenter and cntr need it)"
command -v nsenter >/dev/null || die "nsenter not found; run scripts/install-deps.sh --test"

"$ROOT/scripts/dockerd-up.sh" || die "no Docker daemon"
"$ROOT/examples/demo/build-slim-image.sh" "$IMAGE" || die "could not build $IMAGE"

name=cntr-bench-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
tmp=$(mktemp -d /tmp/cntr-bench.XXXXXX)
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    docker rm -f "$name" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

docker run -d --label cntr-test=1 --name "$name" "$IMAGE" sleep 1000000 >/dev/null ||
    die "could not start the benchmark container"
pid=$(docker inspect -f '{{.State.Pid}}' "$name")
[[ $pid =~ ^[1-9][0-9]*$ ]] || die "container $name has no PID ($pid)"

# name|command (words; %q-quoted so that paths with spaces survive)
labels=() cmds=()
add() {
    local label=$1 q
    shift
    q=$(printf '%q ' "$@")
    labels+=("$label")
    cmds+=("${q% }")
}
have_cntr=0
if [[ -x $CNTR ]]; then
    have_cntr=1
    add cntr "$CNTR" attach "$name" -- true
else
    log "warning: $CNTR is not an executable; measuring docker exec and nsenter only (set CNTR=...)"
fi
add docker-exec docker exec "$name" true
add nsenter nsenter -t "$pid" -a true
# Engine resolution measured on its own (issue 5): the hidden `cntr resolve`
# prints the PID and exits, so resolve minus `resolve -t process_id PID` (start-up
# and a stat of /proc/PID) is the time the engines took. "all engines" is the default order (docker,
# podman, lxc, lxd, nspawn, kubernetes, containerd, rkt, process_id, each
# probing cheaply); CNTR_DOCKER_CLI=1 makes docker use `docker inspect`
# instead of the Engine API socket.
if ((have_cntr)); then
    add cntr-cli env CNTR_DOCKER_CLI=1 "$CNTR" attach "$name" -- true
    add start-up "$CNTR" resolve -t process_id "$pid"
    add resolve-api "$CNTR" resolve "$name"
    add resolve-api-docker-only "$CNTR" resolve -t docker "$name"
    add resolve-cli env CNTR_DOCKER_CLI=1 "$CNTR" resolve "$name"
fi

# Each command must work before it is timed.
for i in "${!cmds[@]}"; do
    if ! out=$(eval "${cmds[i]}" </dev/null 2>&1); then
        die "'${cmds[i]}' failed: $out"
    fi
done

declare -A median_ms
if [[ -z ${CNTR_BENCH_NO_HYPERFINE:-} ]] && command -v hyperfine >/dev/null &&
    command -v python3 >/dev/null; then
    json=${json_out:-$tmp/hyperfine.json}
    hf=(hyperfine --shell=none --style basic --warmup 3 --runs "$runs" --export-json "$json")
    for i in "${!cmds[@]}"; do hf+=(--command-name "${labels[i]}" "${cmds[i]}"); done
    "${hf[@]}" </dev/null >&2
    while read -r label ms; do
        median_ms[$label]=$ms
    done < <(python3 -c '
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(r["command"], "%.3f" % (r["median"] * 1000))
' "$json")
    method="hyperfine $(hyperfine --version | awk '{print $2}'), --shell=none"
else
    log "hyperfine not used (missing or CNTR_BENCH_NO_HYPERFINE set); timing with a bash loop"
    : >"$tmp/raw"
    for i in "${!cmds[@]}"; do
        for ((w = 0; w < 3; w++)); do eval "${cmds[i]}" </dev/null >/dev/null 2>&1; done
        times=()
        for ((r = 0; r < runs; r++)); do
            t0=$(date +%s%N)
            eval "${cmds[i]}" </dev/null >/dev/null 2>&1 || die "'${cmds[i]}' failed during the run"
            t1=$(date +%s%N)
            times+=($((t1 - t0)))
        done
        echo "${labels[i]} ${times[*]}" >>"$tmp/raw"
        median_ms[${labels[i]}]=$(printf '%s\n' "${times[@]}" | sort -n |
            awk '{v[NR] = $1} END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f", m / 1e6}')
    done
    [[ -z $json_out ]] || cp "$tmp/raw" "$json_out"
    method="bash loop with date +%s%N (includes fork/exec of the command)"
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo
echo "attach latency: median wall time of $runs runs ($method)"
echo "container $name from $IMAGE, pid $pid"
printf '  %-48s %10s\n' command "median ms"
qroot=$(printf '%q' "$ROOT")
for i in "${!cmds[@]}"; do
    printf '  %-48s %10s\n' "${cmds[i]//"$qroot"\//}" "${median_ms[${labels[i]}]}"
done
status=0
if ((have_cntr)); then
    m() { printf '%s' "${median_ms[$1]}"; }
    sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }
    echo "engine resolution (median of cntr resolve NAME minus cntr resolve -t process_id PID), ms:"
    printf '  %-48s %10s\n' "all engines, docker via Engine API" "$(sub "$(m resolve-api)" "$(m start-up)")" \
        "docker only (-t docker), Engine API" "$(sub "$(m resolve-api-docker-only)" "$(m start-up)")" \
        "all engines, docker via CLI (CNTR_DOCKER_CLI=1)" "$(sub "$(m resolve-cli)" "$(m start-up)")"
    printf '  %-48s %10s\n' "ratio attach API / attach CLI fallback" "$(ratio "$(m cntr)" "$(m cntr-cli)")"
    # The same, timed inside cntr (cntr -v prints it), so that process
    # start-up noise on a busy machine does not blur a few milliseconds.
    inproc() {
        local i
        for ((i = 0; i < runs; i++)); do
            "$@" 2>&1 >/dev/null | sed -n 's/.* took \([0-9.]*\) ms in all$/\1/p'
        done | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
    }
    echo "engine resolution timed inside cntr (cntr -v resolve, median of $runs), ms:"
    printf '  %-48s %10s\n' "all engines, docker via Engine API" "$(inproc "$CNTR" -v resolve "$name")" \
        "docker only (-t docker), Engine API" "$(inproc "$CNTR" -v resolve -t docker "$name")" \
        "all engines, docker via CLI (CNTR_DOCKER_CLI=1)" "$(inproc env CNTR_DOCKER_CLI=1 "$CNTR" -v resolve "$name")"
    r_docker=$(ratio "${median_ms[cntr]}" "${median_ms[docker-exec]}")
    r_nsenter=$(ratio "${median_ms[cntr]}" "${median_ms[nsenter]}")
    printf '  %-48s %10s\n' "ratio cntr / docker exec" "$r_docker" "ratio cntr / nsenter" "$r_nsenter"
    if awk -v r="$r_docker" -v t="$TARGET" 'BEGIN { exit !(r <= t) }'; then
        echo "target cntr <= $TARGET x docker exec: MET ($r_docker)"
    else
        echo "target cntr <= $TARGET x docker exec: NOT MET ($r_docker)"
        ((check)) && status=2
    fi
else
    echo "target cntr <= $TARGET x docker exec: NOT MEASURED ($CNTR missing)"
    ((check)) && status=2
fi
exit "$status"
