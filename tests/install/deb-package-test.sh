#!/usr/bin/env bash
# The Debian package: `cpack -G DEB` of the Release tree gives
# cntr_VERSION_amd64.deb with dependencies from dpkg-shlibdeps; lintian finds no
# error; `apt-get install ./cntr_*.deb` puts everything where cmake/install.cmake
# says under /usr; /usr/bin/cntr attaches to a real container; purge leaves nothing.
#
# usage: deb-package-test.sh RELEASE_BUILD_DIR   (ctest, fixture docker)
TEST=deb-package-test
# shellcheck source=install-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/install-common.sh"
BUILD=${1:?usage: deb-package-test.sh RELEASE_BUILD_DIR}
MAINTAINER="The cntr developers <cntr@users.noreply.github.com>"

for tool in cpack dpkg-shlibdeps lintian apt-get; do
    command -v "$tool" >/dev/null || fail "$tool not found; run scripts/install-deps.sh --test"
done

# A package of ours left by a killed run goes first; any other cntr is not ours to touch.
ours_installed() {
    [[ $(dpkg-query -W -f='${db:Status-Status} ${Maintainer}' cntr 2>/dev/null) == "installed $MAINTAINER" ]]
}
if dpkg-query -W -f='${db:Status-Status}' cntr 2>/dev/null | grep -q installed; then
    ours_installed || fail "a cntr package of another maintainer is installed; not touching it"
    apt-get purge -y -q cntr >/dev/null || fail "could not purge the cntr package a killed run left"
fi

out=$(mktemp -d /tmp/cntr-deb-test.XXXXXX)
trap 'cleanup_container; ours_installed && apt-get purge -y -q cntr >/dev/null 2>&1; rm -rf "$out"' EXIT
release_build "$BUILD"
(cd "$BUILD" && cpack -G DEB -B "$out" >/dev/null) || fail "cpack -G DEB failed"
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$BUILD/CMakeCache.txt")
deb=$out/cntr_${version}_$(dpkg --print-architecture).deb
[[ -f $deb ]] || fail "expected $deb; cpack made: $(ls "$out")"

depends=$(dpkg-deb -f "$deb" Depends)
for lib in libc6 libfuse3-3 libarchive13 libcurl4 libyaml-cpp0.7 libcap2; do
    [[ $depends == *"$lib"* ]] || fail "Depends lacks $lib (dpkg-shlibdeps): $depends"
done
log "Depends: $depends"
lintian --fail-on error --tag-display-limit 0 "$deb" >"$out/lintian.txt" 2>&1 ||
    { cat "$out/lintian.txt" >&2; fail "lintian reports errors"; }
log "lintian: $(grep -c '^[EW]:' "$out/lintian.txt" || true) warning/error line(s); no error"

DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$deb" </dev/null >"$out/apt.txt" 2>&1 ||
    { cat "$out/apt.txt" >&2; fail "apt-get install $deb failed"; }
check_layout /usr
check_versions /usr/bin/cntr /usr/bin/cntr-fatimg /usr/libexec/cntr/cntrfs-server
start_container
check_attach /usr/bin/cntr

apt-get purge -y -q cntr >"$out/apt.txt" 2>&1 || { cat "$out/apt.txt" >&2; fail "apt-get purge cntr failed"; }
for f in /usr/bin/cntr /usr/bin/cntr-fatimg /usr/libexec/cntr /usr/share/doc/cntr /usr/share/man/man1/cntr.1.gz /usr/share/man/man1/cntr-fatimg.1.gz; do
    [[ ! -e $f ]] || fail "$f is still there after the purge"
done
log "PASS"
