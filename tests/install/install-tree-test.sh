#!/usr/bin/env bash
# `cmake --install` of the Release tree into a temporary prefix, and with DESTDIR:
# the layout of cmake/install.cmake, and `cntr attach` from the installed tree
# against a real container (cntr must find cntrfs-server in ../libexec/cntr).
#
# usage: install-tree-test.sh RELEASE_BUILD_DIR   (ctest, fixture docker)
TEST=install-tree-test
# shellcheck source=install-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/install-common.sh"
BUILD=${1:?usage: install-tree-test.sh RELEASE_BUILD_DIR}

tmp=$(mktemp -d /tmp/cntr-install-test.XXXXXX)
trap 'cleanup_container; rm -rf "$tmp"' EXIT
release_build "$BUILD"

cmake --install "$BUILD" --prefix "$tmp/prefix" >/dev/null || fail "cmake --install --prefix failed"
check_layout "$tmp/prefix"
had_opt_cntr=0
[[ -e /opt/cntr ]] && had_opt_cntr=1
DESTDIR=$tmp/stage cmake --install "$BUILD" --prefix /opt/cntr >/dev/null || fail "DESTDIR install failed"
check_layout "$tmp/stage/opt/cntr"
((had_opt_cntr)) || [[ ! -e /opt/cntr ]] || fail "the DESTDIR install wrote to /opt/cntr itself"

check_versions "$tmp/prefix/bin/cntr" "$tmp/prefix/bin/cntr-fatimg" "$tmp/prefix/libexec/cntr/cntrfs-server"
start_container
check_attach "$tmp/prefix/bin/cntr"
# Moved elsewhere as a whole, the tree still works (the server path is relative).
mv "$tmp/prefix" "$tmp/moved"
check_attach "$tmp/moved/bin/cntr"
log "PASS"
