#!/usr/bin/env bash
# Make sure a Docker daemon answers `docker info`; start one if none does.
#
# Idempotent. If some daemon already answers (ours, a system service, anyone's),
# nothing is done. Otherwise dockerd is started in the background (this machine's
# PID 1 is not systemd, so there is no service manager to ask), logging to
# /var/log/cntr-dockerd.log, and that *we* started it is recorded in
# /run/cntr-test/dockerd.pid ("PID STARTTIME") so that scripts/dockerd-down.sh
# stops only a daemon that these scripts started.
#
# Daemon configuration: dockerd's defaults, on purpose. On the project's VM
# (Debian 12 docker.io 20.10, kernel 6.18, ext4 root, cgroup v1 hierarchy) they all
# work, so containers look like anywhere else:
#   - storage driver: auto-selected, which is overlay2 on the ext4 root (no vfs
#     needed: vfs would copy whole images per container);
#   - networking: the default docker0 bridge with iptables (iptables-nft) and
#     ip-masq, so each container has its own network namespace with lo + eth0;
#     no --iptables=false / --bridge=none needed;
#   - cgroups: cgroupfs driver (no systemd), whatever version is mounted;
#   - ulimits: containers inherit the daemon's RLIMIT_NOFILE (hard 20000 here, and
#     root lacks CAP_SYS_RESOURCE to raise it); dockerd and containerd start fine
#     with that, so no --default-ulimit.
# Extra flags for other machines: CNTR_DOCKERD_FLAGS="--iptables=false ..." .
set -euo pipefail

STATE_DIR=/run/cntr-test
PIDFILE=$STATE_DIR/dockerd.pid
CTRD_PIDFILE=$STATE_DIR/containerd.pid
LOG=/var/log/cntr-dockerd.log
TIMEOUT=60

log() { printf 'dockerd-up: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root"
command -v docker >/dev/null || die "docker client not found; run scripts/install-deps.sh"
command -v dockerd >/dev/null || die "dockerd not found; run scripts/install-deps.sh"

# shellcheck source=scripts/lib/processes.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/processes.sh"
proc_comm() { cat "/proc/$1/comm" 2>/dev/null; }
docker_ok() { timeout 20 docker info >/dev/null 2>&1; }

mkdir -p "$STATE_DIR"
# Serialise concurrent callers (parallel test fixtures). Children must not keep
# fd 9 open, or the lock would live as long as the daemon does.
exec 9>"$STATE_DIR/dockerd.lock"
flock -w 180 9 || die "timed out waiting for $STATE_DIR/dockerd.lock"

if docker_ok; then
    exit 0
fi

# A dockerd that is running but not answering yet (still starting, or started by
# someone else): wait for it instead of starting a second one on the same socket.
if others=$(running dockerd); then
    log "a dockerd is running (pid $others) but does not answer yet; waiting up to ${TIMEOUT}s"
    for ((i = 0; i < TIMEOUT; i++)); do
        docker_ok && exit 0
        sleep 1
    done
    die "dockerd is running but 'docker info' fails; see its log (ours: $LOG)"
fi

# Stale pid files (the machine may have been restarted or a daemon killed; /run
# is not a tmpfs on this VM). dockerd refuses to start if /var/run/docker.pid
# names a live process, and it reuses a "running" containerd from its pid file.
for pf in /var/run/docker.pid:dockerd /var/run/docker/containerd/containerd.pid:containerd; do
    f=${pf%%:*} want=${pf##*:}
    if [[ -f $f ]]; then
        p=$(cat "$f" 2>/dev/null || true)
        if [[ -z $p || $(proc_comm "$p" || true) != "$want" ]] || ! alive "$p"; then
            log "removing stale $f"
            rm -f "$f"
        fi
    fi
done
rm -f "$PIDFILE" "$CTRD_PIDFILE"

# dockerd needs a cgroup hierarchy. The VM's init mounts one; if a machine has
# none at all, mount the unified (v2) hierarchy, which dockerd 20.10 supports.
if ! grep -qE '^[^ ]+ /sys/fs/cgroup(/[^ ]*)? (cgroup|cgroup2) ' /proc/mounts; then
    log "no cgroup hierarchy mounted; mounting cgroup2 on /sys/fs/cgroup"
    mount -t cgroup2 none /sys/fs/cgroup || die "cannot mount cgroup2 on /sys/fs/cgroup"
fi

read -r -a extra <<<"${CNTR_DOCKERD_FLAGS:-}"
log "starting dockerd ${extra[*]} (log: $LOG)"
{
    printf '=== %s: dockerd started by cntr scripts/dockerd-up.sh\n' "$(date -u +%FT%TZ)"
} >"$LOG"
# Own session, no controlling terminal, so it survives the caller's shell and
# terminal; no inherited descriptor (spawn_daemon).
spawn_daemon dockerd "${extra[@]}" </dev/null >>"$LOG" 2>&1
pid=$!
start=$(proc_start "$pid") || die "dockerd exited immediately; see $LOG: $(tail -n 5 "$LOG")"
echo "$pid $start" >"$PIDFILE"

for ((i = 0; i < TIMEOUT * 2; i++)); do
    if docker_ok; then
        c=$(cat /var/run/docker/containerd/containerd.pid 2>/dev/null || true)
        if [[ -n $c ]] && cs=$(proc_start "$c"); then
            echo "$c $cs" >"$CTRD_PIDFILE"
        fi
        log "dockerd is up (pid $pid)"
        exit 0
    fi
    if ! alive "$pid"; then
        rm -f "$PIDFILE"
        log "dockerd exited during start-up; last lines of $LOG:"
        tail -n 20 "$LOG" >&2
        exit 1
    fi
    sleep 0.5
done

log "dockerd did not answer 'docker info' within ${TIMEOUT}s; last lines of $LOG:"
tail -n 20 "$LOG" >&2
exec 9>&-
"$(dirname "${BASH_SOURCE[0]}")/dockerd-down.sh" || true
exit 1
