#!/usr/bin/env bash
# Build cntr as a container image from local files only: no base image, no
# registry. The image holds what `cmake --install` puts in bin/ and libexec/
# (cntr, cntr-fatimg, libexec/cntr/cntrfs-server, the license), the shared
# libraries they link (found with ldd, with the dynamic loader), busybox-static as
# the shell and the session's default tools, and the host's CA certificates (for
# cntr-fatimg pulls). Entrypoint: cntr.
#
# usage: build-image.sh [--build-dir DIR] [--tag NAME:TAG] [--output FILE] [--load docker]
#   --build-dir  the Release build tree (default: build-release in the source tree);
#                configured (tests off) and built when missing, the three programs
#                rebuilt when stale.
#   --tag        the image's name (default cntr:VERSION, VERSION from cntr --version).
#   --output     the tarball (default DIR/cntr-image.tar): an OCI image layout that is
#                also a docker-archive (index.json + manifest.json), so `docker load`,
#                `podman load`, `ctr images import` and `skopeo copy
#                oci-archive:FILE ...` / `docker-archive:FILE` all read it.
#   --load docker  also `docker load` it.
# Idempotent (the same inputs give the same bytes: fixed times and owners, sorted
# entries); its temporary directory is removed on every exit. Prints the image's size.
set -euo pipefail

log() { printf 'build-image: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
usage() { sed -n '/^# usage:/,/^# Idempotent/p' "$0" | sed 's/^# \{0,1\}//' | sed '$d'; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$ROOT/build-release
tag=
output=
load=
while (($#)); do
    case $1 in
    --build-dir) build=${2:?--build-dir needs a directory}; shift ;;
    --tag) tag=${2:?--tag needs NAME:TAG}; shift ;;
    --output | -o) output=${2:?--output needs a file}; shift ;;
    --load) load=${2:?--load needs docker}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument $1" ;;
    esac
    shift
done
[[ -z $load || $load == docker ]] || die "--load: only docker is supported (podman load / ctr images import read the tarball)"

BUSYBOX=/bin/busybox
CA=/etc/ssl/certs/ca-certificates.crt
[[ -x $BUSYBOX ]] || die "$BUSYBOX not found; run scripts/install-deps.sh (busybox-static)"
if ldd "$BUSYBOX" >/dev/null 2>&1; then die "$BUSYBOX is dynamically linked; install busybox-static"; fi
for tool in cmake ldd tar sha256sum python3 strip; do
    command -v "$tool" >/dev/null || die "$tool not found; run scripts/install-deps.sh"
done

# The programs, as cmake --install lays them out.
if [[ ! -f $build/CMakeCache.txt ]]; then
    log "configuring $build (Release, tests off)"
    cmake -S "$ROOT" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCNTR_BUILD_TESTS=OFF >/dev/null ||
        die "cmake configure of $build failed"
fi
grep -q '^CMAKE_BUILD_TYPE:STRING=Release$' "$build/CMakeCache.txt" ||
    die "$build is not a Release build tree (cmake -S . -B DIR -DCMAKE_BUILD_TYPE=Release)"
cmake --build "$build" -j"${CNTR_BUILD_JOBS:-2}" --target cntr cntr-fatimg cntrfs-server cntr_man cntr_changelog >/dev/null ||
    die "building cntr in $build failed (rerun: cmake --build $build)"

tmp=$(mktemp -d /tmp/cntr-image.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
rootfs=$tmp/rootfs
# A /usr-merged tree like Debian 12's, so the paths ldd prints exist as they are.
mkdir -p "$rootfs"/usr/{bin,sbin,lib,lib64,libexec} "$rootfs"/{etc/cntr/profiles.d,etc/ssl/certs,root,tmp,proc,sys,dev,run,var/tmp,var/lib/cntr}
for d in bin sbin lib lib64; do ln -s "usr/$d" "$rootfs/$d"; done

cmake --install "$build" --prefix "$tmp/stage" >/dev/null || die "cmake --install $build failed"
install -m 0755 "$tmp/stage/bin/cntr" "$tmp/stage/bin/cntr-fatimg" "$rootfs/usr/bin/"
install -D -m 0755 "$tmp/stage/libexec/cntr/cntrfs-server" "$rootfs/usr/libexec/cntr/cntrfs-server"
install -D -m 0644 "$tmp/stage/share/doc/cntr/copyright" "$rootfs/usr/share/doc/cntr/copyright"
programs=("$rootfs/usr/bin/cntr" "$rootfs/usr/bin/cntr-fatimg" "$rootfs/usr/libexec/cntr/cntrfs-server")
strip --strip-unneeded "${programs[@]}"
version=$("${programs[0]}" --version | awk '{print $2}')
[[ -n $version ]] || die "cntr --version printed nothing"
: "${tag:=cntr:$version}"
[[ $tag == *:* ]] || tag=$tag:latest
: "${output:=$build/cntr-image.tar}"

# Shared libraries: every path ldd resolves, and the loader, at the same path.
while read -r lib; do
    [[ -e $rootfs$lib ]] && continue
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
done < <(for p in "${programs[@]}"; do
    ldd "$p" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'
    ! ldd "$p" | grep -q 'not found' || die "ldd $p: a library is not found"
done | sort -u)
[[ -e $rootfs/lib64/ld-linux-x86-64.so.2 || -n $(find "$rootfs/usr/lib" -name 'ld-linux*' -print -quit) ]] ||
    die "the dynamic loader was not found by ldd"

# busybox: the shell, and the session's tools when no --tools is given.
install -m 0755 "$BUSYBOX" "$rootfs/usr/bin/busybox"
while read -r applet; do
    case $applet in */busybox | linuxrc | '') continue ;; esac
    [[ -e $rootfs/$applet || -L $rootfs/$applet ]] || ln -s /usr/bin/busybox "$rootfs/$applet"
done < <("$BUSYBOX" --list-full)
[[ -L $rootfs/bin/sh ]] || die "busybox gave no bin/sh"

cat >"$rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
PASSWD
cat >"$rootfs/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
GROUP
[[ -f $CA ]] && install -m 0644 "$CA" "$rootfs/etc/ssl/certs/ca-certificates.crt"
chmod 0700 "$rootfs/root"
chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"

# The one layer, reproducibly (the commit's time, or 0 outside git).
epoch=$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || echo 0)
out=$tmp/out
mkdir -p "$out/blobs/sha256"
tar -C "$rootfs" --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner \
    --format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    -cf "$tmp/layer.tar" . || die "tar of the image's root failed"
revision=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || true)
python3 - "$tmp/layer.tar" "$out" "$tag" "$version" "$epoch" "$revision" <<'PY' || die "writing the image metadata failed"
import hashlib, json, os, shutil, sys, datetime
layer, out, tag, version, epoch, revision = sys.argv[1:]
blobs = os.path.join(out, "blobs", "sha256")
def put(data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, d), "wb") as f:
        f.write(data)
    return d, len(data)
h = hashlib.sha256()
with open(layer, "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
layer_digest, layer_size = h.hexdigest(), os.path.getsize(layer)
shutil.move(layer, os.path.join(blobs, layer_digest))
created = datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
labels = {"org.opencontainers.image.title": "cntr",
          "org.opencontainers.image.version": version,
          "org.opencontainers.image.licenses": "MIT"}
if revision:
    labels["org.opencontainers.image.revision"] = revision
config = {"architecture": "amd64", "os": "linux", "created": created,
          "config": {"Entrypoint": ["/usr/bin/cntr"], "Cmd": ["--help"],
                     "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                     "WorkingDir": "/", "Labels": labels},
          "rootfs": {"type": "layers", "diff_ids": ["sha256:" + layer_digest]},
          "history": [{"created": created, "created_by": "packaging/image/build-image.sh"}]}
cfg = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
cfg_digest, cfg_size = put(cfg)
manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": "sha256:" + cfg_digest, "size": cfg_size},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                        "digest": "sha256:" + layer_digest, "size": layer_size}],
            "annotations": {"org.opencontainers.image.created": created}}
man = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
man_digest, man_size = put(man)
name = tag if "/" in tag.split(":")[0] or "." in tag.split("/")[0] else "docker.io/library/" + tag
index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
         "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "digest": "sha256:" + man_digest, "size": man_size,
                        "annotations": {"io.containerd.image.name": name,
                                        "org.opencontainers.image.ref.name": tag.rsplit(":", 1)[1]}}]}
with open(os.path.join(out, "index.json"), "w") as f:
    json.dump(index, f, sort_keys=True, separators=(",", ":"))
with open(os.path.join(out, "oci-layout"), "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
# docker load reads manifest.json (docker-archive), pointing at the same blobs.
with open(os.path.join(out, "manifest.json"), "w") as f:
    json.dump([{"Config": "blobs/sha256/" + cfg_digest, "RepoTags": [tag],
                "Layers": ["blobs/sha256/" + layer_digest]}], f, sort_keys=True, separators=(",", ":"))
PY
mkdir -p "$(dirname "$output")"
if ! tar -C "$out" --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner -cf "$output.tmp.$$" . ||
    ! mv -f "$output.tmp.$$" "$output"; then
    rm -f "$output.tmp.$$"
    die "writing $output failed"
fi
log "built $tag: $output ($(stat -c %s "$output") bytes; the image's root is $(du -sh --apparent-size "$rootfs" | cut -f1))"
if [[ $load == docker ]]; then
    docker load -i "$output" >/dev/null || die "docker load -i $output failed"
    log "loaded into docker as $tag"
fi
printf '%s\n' "$output"
