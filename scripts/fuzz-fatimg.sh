#!/usr/bin/env bash
# libFuzzer runs of cntr-fatimg's parsers of registry and image input (issue 13).
#
# usage: fuzz-fatimg.sh [--seconds N] [--jobs N] [TARGET...]
#   TARGET     reference manifest index config challenge auth layer (default: all); see
#              tests/fatimg/fuzz/fuzz_targets.cpp for what each one covers
#   --seconds  how long each target runs (default 600)
#   --jobs     compiler processes (default 2)
# Environment: CNTR_FUZZ_DIR = work directory (default /var/tmp/cntr-fuzz-fatimg): the
#   build, the growing corpus of each target (seeded from tests/fatimg/fuzz/corpus/) and
#   findings/TARGET/ with what libFuzzer wrote for a crash, leak, timeout or OOM.
#
# Built with clang++-14 -fsanitize=fuzzer,address,undefined (Debian: clang-14 and
# libclang-rt-14-dev). Each run is bounded: -max_total_time, 10 s per input, 2 GiB RSS.
# A finding is turned into a regression test (reproduce it with
# `$CNTR_FUZZ_DIR/bin/fuzz-TARGET FILE`). Exit status: 0 no findings, 1 findings, 2 usage.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${CNTR_FUZZ_DIR:-/var/tmp/cntr-fuzz-fatimg}
SECONDS_PER_TARGET=600
JOBS=2
ALL=(reference manifest index config challenge auth layer)
CXX=${CXX_FUZZ:-clang++-14}

log() { printf 'fuzz-fatimg: %s\n' "$*" >&2; }
usage() { sed -n 's/^# usage: //p' "$0"; exit 2; }

targets=()
while (($#)); do
    case $1 in
        --seconds) SECONDS_PER_TARGET=${2:?}; shift 2 ;;
        --jobs) JOBS=${2:?}; shift 2 ;;
        -h|--help) usage ;;
        -*) usage ;;
        *) targets+=("$1"); shift ;;
    esac
done
((${#targets[@]})) || targets=("${ALL[@]}")
for t in "${targets[@]}"; do
    [[ " ${ALL[*]} " == *" $t "* ]] || { log "unknown target $t"; usage; }
done
command -v "$CXX" >/dev/null || { log "$CXX not found (apt-get install clang-14 libclang-rt-14-dev)"; exit 2; }

FLAGS=(-std=c++2b -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined
       -fno-sanitize-recover=undefined -I"$ROOT/common" -I"$ROOT/cntr-fatimg")
mkdir -p "$OUT/obj" "$OUT/bin"

# The library's sources (not main.cpp) and common/, compiled once per change.
sources=()
for f in "$ROOT"/cntr-fatimg/*.cpp "$ROOT"/common/*.cpp; do
    [[ $(basename "$f") == main.cpp ]] || sources+=("$f")
done
object_of() { printf '%s/obj/%s-%s.o' "$OUT" "$(basename "$(dirname "$1")")" "$(basename "$1" .cpp)"; }
objects=()
for f in "${sources[@]}"; do objects+=("$(object_of "$f")"); done
for f in "${sources[@]}"; do
    o=$(object_of "$f")
    if [[ ! -e $o || $f -nt $o || -n $(find "$ROOT/cntr-fatimg" "$ROOT/common" -name '*.hpp' -newer "$o" -print -quit) ]]; then
        printf '%s\0%s\0' "$f" "$o"
    fi
done | xargs -0 -r -n2 -P "$JOBS" sh -c "$CXX ${FLAGS[*]} -fsanitize=fuzzer-no-link -c \"\$0\" -o \"\$1\""
LIBS=(-larchive -lcurl -lcrypto -lfmt -lpthread)

# What the auth and layer targets write (named by the fuzzer's PID).
trap 'rm -rf /dev/shm/cntr-fuzz-*' EXIT
found=0
for t in "${targets[@]}"; do
    bin=$OUT/bin/fuzz-$t
    log "building $t"
    "$CXX" "${FLAGS[@]}" -fsanitize=fuzzer -DFUZZ_TARGET="$t" \
        "$ROOT/tests/fatimg/fuzz/fuzz_targets.cpp" "${objects[@]}" "${LIBS[@]}" -o "$bin"
    corpus=$OUT/corpus/$t findings=$OUT/findings/$t
    mkdir -p "$corpus" "$findings"
    cp -n "$ROOT/tests/fatimg/fuzz/corpus/$t/"* "$corpus/" 2>/dev/null || true
    log "running $t for ${SECONDS_PER_TARGET} s (corpus $corpus)"
    if ! "$bin" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -artifact_prefix="$findings/" -print_final_stats=1 "$corpus" \
        >"$OUT/$t.log" 2>&1; then
        log "$t: FINDING, see $OUT/$t.log and $findings/"
        found=1
    else
        log "$t: no finding ($(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$OUT/$t.log" | grep -o '[0-9]*$') inputs)"
    fi
done
exit "$found"
