# Process helpers shared by dockerd-up.sh and dockerd-down.sh (sourced, not run).
# shellcheck shell=bash

# starttime of a process (field 22 of /proc/PID/stat), to tell it from a later
# process that reuses the PID.
proc_start() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    # shellcheck disable=SC2086 # split on whitespace; field 22 overall is 20 here
    set -- $stat
    printf '%s\n' "${20}"
}
# Running (not gone, not a zombie waiting for PID 1 to reap it; on this VM PID 1
# reaps orphans only after a while).
alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat:0:1} != Z ]]
}
# PIDs of running (non-zombie) processes named $1.
running() {
    local p out=()
    for p in $(pgrep -x "$1"); do alive "$p" && out+=("$p"); done
    ((${#out[@]})) && echo "${out[*]}"
}
# SIGTERM to PID, then SIGKILL if it still runs after 10 s.
terminate() {
    kill -TERM "$1" 2>/dev/null || return 0
    for _ in $(seq 1 100); do alive "$1" || return 0; sleep 0.1; done
    kill -KILL "$1" 2>/dev/null || true
}
# Starts "$@" in the background in a session of its own with no descriptor but 0-2
# ($! is its PID). A daemon must not inherit a caller's descriptors: one started under
# `flock LOCK cmd` held the lock for as long as it ran, and every later `flock LOCK`
# waited for it.
spawn_daemon() {
    (
        local fd
        for fd in /proc/"$BASHPID"/fd/*; do
            fd=${fd##*/}
            if ((fd > 2)); then eval "exec $fd>&-"; fi
        done
        # Not a process group leader (no job control here): setsid does not fork.
        exec setsid "$@"
    ) &
}
