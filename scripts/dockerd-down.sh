#!/usr/bin/env bash
# Stop the dockerd that scripts/dockerd-up.sh started, and only that one.
#
# Reads /run/cntr-test/dockerd.pid ("PID STARTTIME"); a daemon started any other
# way (a system service, by hand) is left alone. dockerd is asked to stop with
# SIGTERM, which stops its containers (10 s grace each, in parallel) and its
# managed containerd, and removes /var/run/docker.sock and /var/run/docker.pid.
# Only if that does not happen within 60 s is it killed, and then the recorded
# containerd child and the leftover socket/pid files are cleaned up here.
set -euo pipefail

STATE_DIR=/run/cntr-test
PIDFILE=$STATE_DIR/dockerd.pid
CTRD_PIDFILE=$STATE_DIR/containerd.pid
TIMEOUT=60

log() { printf 'dockerd-down: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root"

# shellcheck source=scripts/lib/processes.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/processes.sh"
# Is the process recorded in FILE ("PID STARTTIME") still that process, named NAME?
recorded_alive() {
    local file=$1 name=$2 pid start
    [[ -f $file ]] || return 1
    read -r pid start <"$file" || return 1
    [[ -n $pid && $(cat "/proc/$pid/comm" 2>/dev/null) == "$name" &&
        $(proc_start "$pid") == "$start" ]] && alive "$pid" || return 1
    printf '%s\n' "$pid"
}
wait_gone() { # PID SECONDS
    local i
    for ((i = 0; i < $2 * 5; i++)); do
        alive "$1" || return 0
        sleep 0.2
    done
    return 1
}

[[ -d $STATE_DIR ]] || { log "no dockerd started by cntr scripts; nothing to do"; exit 0; }
exec 9>"$STATE_DIR/dockerd.lock"
flock -w 180 9 || die "timed out waiting for $STATE_DIR/dockerd.lock"

if [[ ! -f $PIDFILE ]]; then
    log "no dockerd started by cntr scripts; nothing to do"
    exit 0
fi

forced=0
if pid=$(recorded_alive "$PIDFILE" dockerd); then
    log "stopping dockerd (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_gone "$pid" "$TIMEOUT"; then
        log "dockerd did not stop within ${TIMEOUT}s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
        wait_gone "$pid" 10 || die "dockerd (pid $pid) does not die"
        forced=1
    fi
else
    log "the dockerd we started is no longer running"
    forced=1
fi

# dockerd stops its managed containerd on a clean shutdown; give it a moment,
# then stop it ourselves if it is still the one that was recorded.
if cpid=$(recorded_alive "$CTRD_PIDFILE" containerd); then
    if ! wait_gone "$cpid" 5; then
        log "stopping leftover containerd (pid $cpid)"
        kill -TERM "$cpid" 2>/dev/null || true
        wait_gone "$cpid" 20 || kill -KILL "$cpid" 2>/dev/null || true
    fi
fi

# After a crash or a kill, dockerd leaves its socket and pid files behind.
if ! running dockerd >/dev/null && [[ -e /var/run/docker.sock || -e /var/run/docker.pid ]]; then
    log "removing stale /var/run/docker.sock and pid files"
    rm -f /var/run/docker.sock /var/run/docker.pid /var/run/docker/containerd/containerd.pid
fi
if ((forced)) && ! running dockerd >/dev/null; then
    shims=$(pgrep -d ' ' -f 'containerd-shim.*-namespace moby' || true)
    [[ -z $shims ]] || log "warning: containerd shims still running (pids: $shims); their containers were not stopped cleanly"
fi

rm -f "$PIDFILE" "$CTRD_PIDFILE"
log "done"
