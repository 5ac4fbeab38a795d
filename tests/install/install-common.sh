# Shared by the install tests (sourced): a slim container to attach to, the
# Release build tree they test, and checks of an installed layout.
# shellcheck shell=bash
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
IMAGE=cntr-test-slim:latest
LABEL=cntr-test=1

log() { printf '%s: %s\n' "$TEST" "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

[[ $(id -u) -eq 0 ]] || fail "must run as root"

# The Release tree (CNTR_WERROR on, so it is also the warning check): configured
# and built here if scripts/test did not do it already; a no-op when current.
release_build() { # DIR
    local dir=$1
    cmake -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DCNTR_WERROR=ON >/dev/null ||
        fail "cmake configure of the Release tree $dir failed"
    cmake --build "$dir" -j"$(nproc)" --target cntr cntr-fatimg cntrfs-server cntr_man cntr_changelog >/dev/null ||
        fail "the Release build in $dir failed (rerun: cmake --build $dir)"
}

# Starts a slim container; its name is in $CONTAINER, removed by cleanup_container.
start_container() {
    CONTAINER=cntr-install-test-$$
    docker run -d --label "$LABEL" --name "$CONTAINER" "$IMAGE" sleep 2147483647 >/dev/null ||
        fail "docker run $IMAGE failed (the docker fixture builds it)"
}
cleanup_container() {
    [[ -n ${CONTAINER:-} ]] && docker rm -f "$CONTAINER" >/dev/null 2>&1 || true
}

# Checks that PREFIX holds every file of the layout, with the server only in libexec.
check_layout() { # PREFIX
    local p=$1 f
    for f in bin/cntr bin/cntr-fatimg bin/kubectl-cntr libexec/cntr/cntrfs-server share/man/man1/cntr.1.gz share/man/man1/cntr-fatimg.1.gz \
        share/bash-completion/completions/cntr share/zsh/vendor-completions/_cntr \
        share/fish/vendor_completions.d/cntr.fish share/doc/cntr/copyright \
        share/bash-completion/completions/cntr-fatimg share/zsh/vendor-completions/_cntr_fatimg \
        share/fish/vendor_completions.d/cntr-fatimg.fish \
        share/doc/cntr/schema.yaml share/doc/cntr/examples/team.yaml share/doc/cntr/README.md; do
        [[ -e $p/$f ]] || fail "$p/$f is missing after the install"
    done
    [[ ! -e $p/bin/cntrfs-server ]] || fail "cntrfs-server must not be in $p/bin (it is not a user command)"
    gzip -t "$p/share/man/man1/cntr.1.gz" || fail "the man page is not valid gzip"
    grep -q "Expat" "$p/share/doc/cntr/copyright" || fail "the copyright file does not state the license"
}

# The three programs print one version, with the commit in a checkout.
check_versions() { # CNTR CNTR_FATIMG CNTRFS_SERVER
    local a b c
    a=$("$1" --version) b=$("$2" --version) c=$("$3" --version)
    [[ ${a#cntr } == "${b#cntr-fatimg }" && ${a#cntr } == "${c#cntrfs-server }" ]] ||
        fail "the versions differ: '$a' / '$b' / '$c'"
    if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
        [[ $a == *"(git $(git -C "$ROOT" rev-parse --short=12 HEAD)"* ]] ||
            fail "'$a' does not name the commit $(git -C "$ROOT" rev-parse --short=12 HEAD)"
    fi
    log "version: $a"
}

# Attaches with CNTR (host tools) and checks the session really is in the container.
check_attach() { # CNTR
    local out want
    want=$(docker inspect -f '{{.Config.Hostname}}' "$CONTAINER")
    out=$(env -u CNTR_CNTRFS_SERVER "$1" attach -t docker "$CONTAINER" -- \
        /bin/sh -c 'hostname; ls /var/lib/cntr/bin/busybox; echo attach-ok' </dev/null) ||
        fail "$1 attach $CONTAINER failed: $out"
    [[ $out == *"$want"*"/var/lib/cntr/bin/busybox"*"attach-ok"* ]] ||
        fail "the session did not run in $CONTAINER (hostname $want expected): $out"
    if grep -q cntrfs /proc/self/mountinfo; then fail "a cntrfs mount was left behind"; fi
    log "$1 attach $CONTAINER works"
}
