# Shared by the engine fixtures (sourced): logging, the slim test image as a
# `docker save` tarball (built by docker-fixture.sh), and remembering which
# daemons a fixture started so cleanup stops only those.
# shellcheck shell=bash
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STATE=/run/cntr-test
IMAGE=cntr-test-slim:latest
LABEL=cntr-test=1
mkdir -p "$STATE"

log() { printf '%s: %s\n' "$FIXTURE" "$*" >&2; }
die() { log "error: $*"; exit 1; }
need() { command -v "$1" >/dev/null || die "$1 not found; run scripts/install-deps.sh ($2)"; }

# /run/cntr-test/cntr-test-slim.tar, a `docker save` of the test image.
slim_tar() {
    local tar=$STATE/cntr-test-slim.tar
    exec 8>"$STATE/slim-tar.lock"
    flock -w 300 8 || die "timed out waiting for $STATE/slim-tar.lock"
    if [[ ! -s $tar ]]; then
        docker image inspect "$IMAGE" >/dev/null 2>&1 ||
            die "$IMAGE is missing: the docker fixture (tests/engines/docker-fixture.sh setup) builds it"
        docker save "$IMAGE" -o "$tar.tmp" && mv "$tar.tmp" "$tar" || die "docker save $IMAGE failed"
        chmod 0644 "$tar"
    fi
    exec 8>&-
    printf '%s\n' "$tar"
}

# Starts "$@" in its own session with output to $logfile unless `probe` works;
# remembers the pid in $STATE/fixture-$name.pid (not $name.pid: dockerd-up.sh
# keeps its own containerd.pid there) so stop_daemon stops only ours.
start_daemon() {
    local name=$1 probe=$2 logfile=$3
    shift 3
    if eval "$probe" >/dev/null 2>&1; then
        log "$name already runs; using it"
        return 0
    fi
    setsid "$@" >>"$logfile" 2>&1 </dev/null &
    echo $! >"$STATE/fixture-$name.pid"
    for _ in $(seq 1 100); do
        eval "$probe" >/dev/null 2>&1 && { log "started $name (pid $(cat "$STATE/fixture-$name.pid"), log $logfile)"; return 0; }
        kill -0 "$(cat "$STATE/fixture-$name.pid")" 2>/dev/null || die "$name exited at start; see $logfile"
        sleep 0.2
    done
    die "$name did not answer within 20 s; see $logfile"
}

stop_daemon() {
    local name=$1 pidfile=$STATE/fixture-$1.pid pid
    [[ -f $pidfile ]] || { log "$name was not started by us; leaving it running"; return 0; }
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
        log "stopped $name (pid $pid)"
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
