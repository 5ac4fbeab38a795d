# Shared by the engine fixtures (sourced): logging, the slim test image as a
# `docker save` tarball (built by docker-fixture.sh), and remembering which
# daemons a fixture started so cleanup stops only those.
#
# Every fixture keeps its state under $STATE and nowhere else (never in /etc);
# `scripts/test --fresh` removes it. Cached artefacts carry the id of what made
# them in their name or metadata, so a changed recipe rebuilds them.
# shellcheck shell=bash
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STATE=/run/cntr-test
# shellcheck source=../../scripts/lib/processes.sh
source "$ROOT/scripts/lib/processes.sh"
IMAGE=cntr-test-slim:latest
LABEL=cntr-test=1
mkdir -p "$STATE"

log() { printf '%s: %s\n' "$FIXTURE" "$*" >&2; }
die() { log "error: $*"; exit 1; }
need() { command -v "$1" >/dev/null || die "$1 not found; run scripts/install-deps.sh --test ($2)"; }

# The docker image id (12 hex digits) of the slim test image: the key of every
# copy of it the other engines hold.
slim_id() {
    local id
    id=$(docker image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null) ||
        die "$IMAGE is missing: the docker fixture (tests/engines/docker-fixture.sh setup) builds it"
    id=${id#sha256:}
    printf '%s\n' "${id:0:12}"
}

# $STATE/cntr-test-slim-ID.tar, a `docker save` of the test image as it is now;
# tarballs of earlier versions of the image are removed.
slim_tar() {
    local id tar old
    id=$(slim_id)
    tar=$STATE/cntr-test-slim-$id.tar
    exec 8>"$STATE/slim-tar.lock"
    flock -w 300 8 || die "timed out waiting for $STATE/slim-tar.lock"
    if [[ ! -s $tar ]]; then
        for old in "$STATE"/cntr-test-slim*.tar; do [[ -e $old ]] && rm -f "$old"; done
        docker save "$IMAGE" -o "$tar.tmp" && mv "$tar.tmp" "$tar" || die "docker save $IMAGE failed"
        chmod 0644 "$tar"
    fi
    exec 8>&-
    printf '%s\n' "$tar"
}

# Starts "$@" in its own session with output to $logfile unless `probe` works;
# remembers "PID STARTTIME" in $STATE/fixture-$name.pid (not $name.pid:
# dockerd-up.sh keeps its own containerd.pid there) so stop_daemon stops only
# ours, and never a later process that reuses the PID after a killed run.
start_daemon() {
    local name=$1 probe=$2 logfile=$3
    shift 3
    if eval "$probe" >/dev/null 2>&1; then
        log "$name already runs; using it"
        return 0
    fi
    spawn_daemon "$@" >>"$logfile" 2>&1 </dev/null
    local pid=$!
    echo "$pid $(proc_start "$pid")" >"$STATE/fixture-$name.pid"
    for _ in $(seq 1 100); do
        eval "$probe" >/dev/null 2>&1 && { log "started $name (pid $pid, log $logfile)"; return 0; }
        alive "$pid" || die "$name exited at start; see $logfile"
        sleep 0.2
    done
    die "$name did not answer within 20 s; see $logfile"
}

# The pid recorded in FILE ("PID STARTTIME") if that very process still runs.
recorded_pid() {
    local pid start
    [[ -f $1 ]] || return 1
    read -r pid start <"$1" || return 1
    [[ -n $pid && -n $start && $(proc_start "$pid") == "$start" ]] && alive "$pid" || return 1
    printf '%s\n' "$pid"
}

# Lazily detaches every mount at or below DIR, deepest first.
detach_mounts_below() {
    local mnt
    while read -r mnt; do
        umount -l "$mnt" 2>/dev/null && log "detached a leftover mount at $mnt"
    done < <(awk -v d="${1%/}/" 'index($5 "/", d) == 1 {print $5}' /proc/self/mountinfo | sort -r)
}

stop_daemon() {
    local name=$1 pidfile=$STATE/fixture-$1.pid pid
    [[ -f $pidfile ]] || { log "$name was not started by us; leaving it running"; return 0; }
    if pid=$(recorded_pid "$pidfile"); then
        terminate "$pid"
        log "stopped $name (pid $pid)"
    else
        log "$name from $pidfile no longer runs (a killed run?); nothing to stop"
    fi
    rm -f "$pidfile"
}

[[ $(id -u) -eq 0 ]] || die "must run as root"

# Runs the fixture's setup() or cleanup(), as its first argument says.
fixture_main() {
    case ${1:-} in
    setup) setup ;;
    cleanup) cleanup ;;
    *) die "usage: $0 setup|cleanup" ;;
    esac
}
