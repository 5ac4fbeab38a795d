#!/usr/bin/env bash
# Install what cntr needs on Debian 12 (bookworm).
#
# usage: install-deps.sh          what building cntr and the demo need (scripts/demo)
#        install-deps.sh --test   that, plus the test suite's engines, registries,
#                                 linters and packaging tools (scripts/test)
#
# Idempotent and non-interactive; run as root. It asks dpkg what is missing first
# and only then touches apt (so a machine that already has everything needs no
# network and no `apt-get update`). Finally it makes sure /dev/fuse exists.
set -euo pipefail

log() { printf 'install-deps: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (it installs packages)"
if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
    die "needs a Debian system (dpkg-query/apt-get not found)"
fi

# Building and running cntr, and the demo (a docker container of busybox).
PACKAGES=(
    # toolchain and build
    build-essential cmake pkg-config g++ git
    # libraries (design card: libfuse3, libarchive, OpenSSL, yaml-cpp, nlohmann_json)
    libfuse3-dev fuse3 liburing-dev libcap-dev nlohmann-json3-dev libcli11-dev libcurl4-openssl-dev
    libfmt-dev libyaml-cpp-dev libarchive-dev libssl-dev
    # the demo: its engine and the slim image (busybox + Asia/Tokyo zoneinfo)
    docker.io busybox-static tzdata util-linux procps iproute2 iptables
)
# Only the test suite, the benchmarks and the linters need these.
TEST_PACKAGES=(
    libgtest-dev libgmock-dev hyperfine
    # the CRI fixture (tests/k8s): its client
    python3-grpcio python3-protobuf protobuf-compiler
    # CNTRFS conformance, real-programs tests and bench/cntrfs-bench.sh (issue 4)
    sqlite3 make acl attr fio dbench postmark
    # tool-image store (cntr-fatimg, issue 3): zstd layers; registry fixture, tests, benchmark
    libzstd-dev docker-registry skopeo umoci apache2-utils openssl curl libcap2-bin
    # developer tools (style checks; "fat" host tools shown inside the slim container)
    clang-format clang-tidy python3 vim strace gdb tmux sudo
    # other container engines (issue 5): podman rootful/rootless, LXC, LXD, containerd's ctr,
    # machinectl (setcap for the non-root mode comes from libcap2-bin above)
    podman crun uidmap slirp4netns fuse-overlayfs lxc lxd containerd systemd-container
    # shells whose completion scripts (completions/) are syntax-checked by the tests
    bash-completion zsh fish
    # examples/tools-image: the Debian tools image its test builds
    mmdebstrap
    # the Debian package test: cpack's dpkg-shlibdeps, lintian
    dpkg-dev lintian
    # kubectl-cntr's tests: the real kubectl checks its pod spec; jq reads it
    kubernetes-client jq
)
case ${1:-} in
'') ;;
--test) PACKAGES+=("${TEST_PACKAGES[@]}") ;;
-h | --help) sed -n 's/^# usage: //p; s/^#        //p' "$0"; exit 0 ;;
*) die "unknown option $1 (use --test for the test suite's packages)" ;;
esac

missing=()
for pkg in "${PACKAGES[@]}"; do
    # Another package's kubectl (Google's "kubectl", a newer release) owns
    # /usr/bin/kubectl; Debian's kubernetes-client would clash with it.
    [[ $pkg == kubernetes-client ]] && command -v kubectl >/dev/null && continue
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [[ $status == installed ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
    log "all ${#PACKAGES[@]} packages already installed"
else
    log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Without systemd as init, maintainer scripts (docker.io's) would try to start
    # services through /etc/init.d. We start dockerd ourselves (scripts/dockerd-up.sh)
    # with known flags, so forbid service starts during the install, the way
    # Debian's container images do, unless the machine already has a policy.
    policy=/usr/sbin/policy-rc.d
    if [[ ! -e $policy && ! -d /run/systemd/system ]]; then
        printf '#!/bin/sh\n# temporary, from cntr scripts/install-deps.sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        trap 'rm -f "$policy"' EXIT
    fi
    apt_opts=(-o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef
        -o Dpkg::Options::=--force-confold)
    apt-get "${apt_opts[@]}" update -q </dev/null
    apt-get "${apt_opts[@]}" install -y -q --no-install-recommends "${missing[@]}" </dev/null
    log "installed ${#missing[@]} package(s)"
fi

# /dev/fuse: cntr mounts its FUSE file system from the host's /dev/fuse.
if [[ ! -c /dev/fuse ]]; then
    if command -v modprobe >/dev/null; then
        modprobe fuse 2>/dev/null || true
    fi
    if [[ ! -c /dev/fuse ]] && grep -qw fuse /proc/filesystems; then
        # FUSE is built into the kernel but devtmpfs has no node (e.g. a minimal
        # /dev): create it with the fixed misc major/minor of /dev/fuse.
        mknod -m 0666 /dev/fuse c 10 229
    fi
    [[ -c /dev/fuse ]] ||
        die "/dev/fuse is missing and the kernel has no FUSE support (modprobe fuse failed; 'fuse' not in /proc/filesystems)"
    log "created /dev/fuse"
fi
