# shellcheck shell=bash
# Shared by bench/cntrfs-bench.sh and bench/cntrfs-paper-fio.sh (sourced, not run).

# Prints the path of a Release cntrfs-server, building it in /var/tmp/cntrfs-bench-build
# from the tree at $1 (a sanitizer build would measure the sanitizers).
release_cntrfs_server() {
    local build=/var/tmp/cntrfs-bench-build
    echo "building cntrfs-server (Release) in $build ..." >&2
    cmake -S "$1" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCNTR_SANITIZE=OFF >/dev/null
    cmake --build "$build" -j2 --target cntrfs-server >/dev/null
    echo "$build/bin/cntrfs-server"
}

# --io-uring needs the fuse module's enable_uring, a machine-wide switch (off by
# default): fuse_uring_on turns it on for the run, fuse_uring_restore (from the cleanup
# trap) puts back what it was.
uring_param=/sys/module/fuse/parameters/enable_uring
uring_was=""
fuse_uring_on() {
    uring_was=$(cat "$uring_param" 2>/dev/null || echo "")
    [[ -z $uring_was ]] || echo Y >"$uring_param"
}
fuse_uring_restore() {
    [[ -z $uring_was ]] || echo "$uring_was" >"$uring_param"
}
