#!/usr/bin/env bash
# Tests of the completion scripts (run by ctest: completions_test).
#
# usage: test-completions.sh CNTR_BINARY
# bash and fish completions are exercised for real (bash through its
# completion function, fish with `complete -C`), zsh is parsed with zsh -n.
# Every option of every subcommand's --help must be completed by all three
# scripts and documented in docs/cntr.1. Container and profile names come from a stub `cntr` that prints recorded
# `cntr ps` / `cntr profiles list` output; the real binary is checked to have
# exactly the subcommands and engine types the scripts complete.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CNTR=${1:?usage: $0 CNTR_BINARY}
fail=0
check() { # name expected actual
    if [[ $2 == "$3" ]]; then echo "ok   $1"; else echo "FAIL $1: expected [$2], got [$3]"; fail=1; fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/cntr" <<'STUB'
#!/bin/sh
case "$1 $2" in
"ps "*) printf '%s\n' \
    'ENGINE      NAME                   ID            PID    IMAGE                  UPTIME' \
    'docker      web                    b47e39f9e1b0  3149   nginx:latest           5m02s' \
    'podman      worker                 ff62d47ab244  3705   localhost/app:1        4m43s' \
    'kubernetes  prod/api/app           eng-k1        7547   docker.io/app:2        30s' ;;
"profiles list") printf '%s\n' \
    'NAME                 MATCH                    TOOLS                        DEFINED AT' \
    'nginx-debug          nginx*                   host                         /etc/cntr/profiles.d/a.yaml:1' ;;
*) exit 1 ;;
esac
STUB
chmod +x "$tmp/cntr"

# The real binary: subcommands and -t types match what the scripts know.
help=$("$CNTR" --help)
subs=$(printf '%s\n' "$help" | awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }' | sort | tr '\n' ' ')
check "subcommands of cntr --help" "attach exec profiles ps " "$subs"
types=$("$CNTR" attach --help | tr -s ' \n' ' ' | sed -n 's/.*in this order: \([a-z_,]*\).*/\1/p')
check "engine types of cntr attach --help" "docker,podman,lxc,lxd,nspawn,kubernetes,containerd,rkt,process_id,command" "$types"
grep -q "_cntr_types=\"${types//,/ }\"" "$HERE/cntr.bash" || { echo "FAIL cntr.bash engine list differs from $types"; fail=1; }

# Every long option of each subcommand's --help is known to all three scripts.
for sub in attach exec ps profiles; do
    for opt in $("$CNTR" "$sub" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
        [[ $opt == --help ]] && continue
        grep -qF -- "${opt//-/\\-}" "$HERE/../docs/cntr.1" || { echo "FAIL docs/cntr.1 does not document cntr $sub $opt"; fail=1; }
        for f in cntr.bash _cntr cntr.fish; do
            if [[ $f == cntr.fish ]]; then pat="-l ${opt#--}( |$)"; else pat="(^|[ '(*])${opt}([][ |)'=]|$)"; fi
            grep -qE -- "$pat" "$HERE/$f" || { echo "FAIL $f does not complete cntr $sub $opt"; fail=1; }
        done
    done
done
echo "ok   every option of cntr SUB --help is in the scripts and cntr.1 (unless FAIL above)"

# bash
bash_complete() {
    PATH=$tmp:$PATH bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _cntr; echo "${COMPREPLY[*]}"' _ "$HERE/cntr.bash" "$@"
}
check "bash: subcommands" "attach exec ps profiles" "$(bash_complete cntr '')"
check "bash: -t list" "docker,podman" "$(bash_complete cntr attach -t docker,po)"
check "bash: containers" "web worker prod/api/app" "$(bash_complete cntr attach '')"
check "bash: exec after -t" "worker" "$(bash_complete cntr exec -t podman wo)"
check "bash: ps --format" "table json" "$(bash_complete cntr ps --format '')"
check "bash: profile names" "nginx-debug" "$(bash_complete cntr attach --profile '')"
check "bash: profiles show" "nginx-debug" "$(bash_complete cntr profiles show '')"

# fish
fish_complete() { PATH=$tmp:$PATH fish -c "source $HERE/cntr.fish; complete -C '$1'" | cut -f1 | tr '\n' ' '; }
check "fish: subcommands" "attach " "$(fish_complete 'cntr at')"
check "fish: -t list" "docker,podman " "$(fish_complete 'cntr attach -t docker,po')"
check "fish: containers" "prod/api/app web worker " "$(fish_complete 'cntr attach ' | tr ' ' '\n' | grep -v '^-' | sort | tr '\n' ' ')"
check "fish: profiles" "nginx-debug " "$(fish_complete 'cntr attach --profile ')"

# zsh: parses and defines the completion function.
zsh -n "$HERE/_cntr" && echo "ok   zsh: _cntr parses" || { echo "FAIL zsh -n _cntr"; fail=1; }

exit $fail
