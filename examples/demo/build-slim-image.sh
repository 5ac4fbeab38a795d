#!/usr/bin/env bash
# Build the tiny "slim" container image used by the demo and the test suite, from
# local files only (no registry): busybox-static, a passwd/group with root and an
# `app` user (uid 1000), the Asia/Tokyo time zone as /etc/localtime (so a test can
# tell the container's /etc/localtime from the host's UTC), /tmp, no os-release.
#
# usage: build-slim-image.sh [--force] [IMAGE_NAME]   (default cntr-demo-slim:latest)
# Idempotent: does nothing if the image exists and was built by this version of
# this script (its hash is the image's label org.cntr.recipe), unless --force.
# Needs a running Docker daemon (scripts/dockerd-up.sh) and busybox-static, tzdata
# (scripts/install-deps.sh).
set -euo pipefail

log() { printf 'build-slim-image: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
usage() { sed -n 's/^# usage: //p' "$0"; }

image=cntr-demo-slim:latest
force=0
while (($#)); do
    case $1 in
    --force) force=1 ;;
    -h | --help) usage; exit 0 ;;
    -*) usage >&2; die "unknown option $1" ;;
    *) image=$1 ;;
    esac
    shift
done

BUSYBOX=/bin/busybox # from busybox-static
ZONE=/usr/share/zoneinfo/Asia/Tokyo
[[ -x $BUSYBOX ]] || die "$BUSYBOX not found; run scripts/install-deps.sh (busybox-static)"
[[ -f $ZONE ]] || die "$ZONE not found; run scripts/install-deps.sh (tzdata)"
# The copied busybox must run without the host's libraries.
if ldd "$BUSYBOX" >/dev/null 2>&1; then
    die "$BUSYBOX is dynamically linked; install busybox-static (not busybox)"
fi
command -v docker >/dev/null || die "docker not found; run scripts/install-deps.sh"
docker info >/dev/null 2>&1 || die "the Docker daemon does not answer; run scripts/dockerd-up.sh"

# Serialise parallel builders of the same image (test fixtures may run at once).
mkdir -p /run/cntr-test
exec 9>"/run/cntr-test/image-${image//[^A-Za-z0-9_.-]/_}.lock"
flock -w 300 9 || die "timed out waiting for the image build lock"

recipe=$(sha256sum "$0" | cut -c1-16)
old_id=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
old_recipe=$(docker image inspect -f '{{index .Config.Labels "org.cntr.recipe"}}' "$image" 2>/dev/null || true)
if ((!force)) && [[ -n $old_id && $old_recipe == "$recipe" ]]; then
    log "$image already exists (use --force to rebuild)"
    exit 0
fi
[[ -z $old_id ]] || log "$image was built by another version of this script; rebuilding"

tmp=$(mktemp -d /tmp/cntr-slim-image.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
rootfs=$tmp/rootfs
mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,root,home/app,tmp,proc,sys,dev,run,var/tmp}

# busybox and one symlink per applet, at the applet's usual place (bin/sh,
# usr/bin/env, sbin/ip, ...), each pointing at /bin/busybox.
install -m 0755 "$BUSYBOX" "$rootfs/bin/busybox"
while read -r applet; do
    case $applet in */busybox | linuxrc | '') continue ;; esac
    dir=$(dirname "$applet")
    up=$(printf '%s' "$dir" | sed 's#[^/][^/]*#..#g') # bin -> .., usr/bin -> ../..
    ln -sfn "$up/bin/busybox" "$rootfs/$applet"
done < <("$BUSYBOX" --list-full)
[[ -L $rootfs/bin/sh && -L $rootfs/usr/bin/env ]] || die "busybox --list-full gave no bin/sh or usr/bin/env"

cat >"$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
app:x:1000:1000:app:/home/app:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$rootfs/etc/group" <<'EOF'
root:x:0:
app:x:1000:
nogroup:x:65534:
EOF
cat >"$rootfs/etc/shadow" <<'EOF'
root:*:19000:0:99999:7:::
app:!:19000:0:99999:7:::
nobody:*:19000:0:99999:7:::
EOF
cp -L "$ZONE" "$rootfs/etc/localtime"
echo Asia/Tokyo >"$rootfs/etc/timezone"

chmod 0755 "$rootfs" "$rootfs/etc" "$rootfs/home" "$rootfs/bin" "$rootfs/usr"
chmod 0644 "$rootfs/etc/passwd" "$rootfs/etc/group" "$rootfs/etc/localtime" "$rootfs/etc/timezone"
chmod 0640 "$rootfs/etc/shadow"
chmod 0700 "$rootfs/root"
chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
chown -R 1000:1000 "$rootfs/home/app"
chmod 0755 "$rootfs/home/app"

log "importing $image"
tar -C "$rootfs" --numeric-owner -c . |
    docker import \
        --change 'CMD ["/bin/sh"]' \
        --change 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'LABEL org.cntr.image=slim' \
        --change "LABEL org.cntr.recipe=$recipe" \
        - "$image" >/dev/null
# A rebuild leaves the previous image untagged: drop it unless a container uses it.
new_id=$(docker image inspect -f '{{.Id}}' "$image")
if [[ -n $old_id && $old_id != "$new_id" ]]; then
    docker rmi "$old_id" >/dev/null 2>&1 || true
fi
log "built $image ($(docker image inspect -f '{{.Size}}' "$image") bytes)"
