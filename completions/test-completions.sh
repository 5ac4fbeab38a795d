#!/usr/bin/env bash
# Tests of the completion scripts (run by ctest: completions_test).
#
# usage: test-completions.sh CNTR_BINARY CNTR_FATIMG_BINARY
# bash and fish completions are exercised for real (bash through its
# completion function, fish with `complete -C`), zsh is parsed with zsh -n.
# Every option of every subcommand's --help must be completed by all three
# scripts and documented in docs/cntr.1. Container and profile names come from a stub `cntr` that prints recorded
# `cntr ps` / `cntr profiles list` output, image names from a stub `cntr-fatimg`
# that prints a recorded `ls`; the real binaries are checked to have exactly the
# subcommands and engine types the scripts complete, and every option of every
# cntr-fatimg subcommand is completed and documented in docs/cntr-fatimg.1.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CNTR=${1:?usage: $0 CNTR_BINARY CNTR_FATIMG_BINARY}
FATIMG=${2:?usage: $0 CNTR_BINARY CNTR_FATIMG_BINARY}
fail=0
check() { # name expected actual
    if [[ $2 == "$3" ]]; then echo "ok   $1"; else echo "FAIL $1: expected [$2], got [${3:0:300}]"; fail=1; fi
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
cat >"$tmp/cntr-fatimg" <<'STUB'
#!/bin/sh
[ "$1" = --root ] && { [ "$2" = /other/store ] || exit 1; shift 2; }
case "$1" in
ls) printf '%s\n' \
    'REFERENCE                            DIGEST        LAYERS       SIZE  CREATED' \
    'docker.io/library/ux-tools:1         sha256:6f1c2      1    95.1 MB  2026-11-30T10:00:00Z' \
    '127.0.0.1:5000/tools:2               sha256:0a3e9      3     1.2 GB  2026-11-30T10:00:00Z' ;;
*) exit 1 ;;
esac
STUB
chmod +x "$tmp/cntr-fatimg"

# The real binary: subcommands and -t types match what the scripts know.
help=$("$CNTR" --help)
subs=$(printf '%s\n' "$help" | awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }' | sort | tr '\n' ' ')
check "subcommands of cntr --help" "attach exec profiles ps " "$subs"
types=$("$CNTR" attach --help | tr -s ' \n' ' ' | sed -n 's/.*in this order: \([a-z_,]*\).*/\1/p')
check "engine types of cntr attach --help" "docker,podman,lxc,lxd,nspawn,kubernetes,containerd,rkt,cgroup,process_id,command" "$types"
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

# cntr-fatimg: the real subcommands, and every option of each, in all three scripts and its page.
fhelp=$("$FATIMG" --help)
fsubs=$(printf '%s\n' "$fhelp" | awk '/^Subcommands:/ { on = 1; next } on && /^$/ { exit } on && /^  [a-z]/ { print $1 }' | sort | tr '\n' ' ')
check "subcommands of cntr-fatimg --help" "gc import inspect ls path pull rm " "$fsubs"
for sub in "" $fsubs; do
    # Only the options' own lines: the footer names options of other programs.
    for opt in $("$FATIMG" $sub --help | sed -nE 's/^ +(-[a-zA-Z], )?(--[a-z][a-z-]+).*/\2/p' | sort -u); do
        [[ $opt == --help ]] && continue
        grep -qF -- "${opt//-/\\-}" "$HERE/../docs/cntr-fatimg.1" || { echo "FAIL docs/cntr-fatimg.1 does not document cntr-fatimg $sub $opt"; fail=1; }
        for f in cntr-fatimg.bash _cntr_fatimg cntr-fatimg.fish; do
            if [[ $f == cntr-fatimg.fish ]]; then pat="-l ${opt#--}( |$)"; else pat="(^|[ '(*|,])${opt}([][ |)'=}]|$)"; fi
            grep -qE -- "$pat" "$HERE/$f" || { echo "FAIL $f does not complete cntr-fatimg $sub $opt"; fail=1; }
        done
    done
done
echo "ok   every option of cntr-fatimg SUB --help is in the scripts and cntr-fatimg.1 (unless FAIL above)"

# Man pages: FILES, ENVIRONMENT and EXIT STATUS, and every CNTR_* variable the
# program's code reads is documented in its page.
for page in cntr cntr-fatimg; do
    for sec in FILES ENVIRONMENT "EXIT STATUS"; do
        grep -qx "\.SH $sec" "$HERE/../docs/$page.1" || { echo "FAIL docs/$page.1 has no $sec section"; fail=1; }
    done
done
for code in "cntr:cntr common" "cntr-fatimg:cntr-fatimg common"; do
    page=${code%%:*} dirs=${code#*:}
    for var in $(cd "$HERE/.." && grep -rhoE 'getenv\("CNTR_[A-Z_]+"\)' $dirs | sort -u | sed -E 's/getenv\("(.*)"\)/\1/'); do
        grep -qF -- "${var}" "$HERE/../docs/$page.1" || { echo "FAIL docs/$page.1 does not document $var"; fail=1; }
    done
done
for code in 125 126 127; do
    grep -qx "\.B $code" "$HERE/../docs/cntr.1" || { echo "FAIL docs/cntr.1 EXIT STATUS lacks $code"; fail=1; }
done
echo "ok   man pages: sections, CNTR_* variables and exit codes (unless FAIL above)"

# bash
bash_complete() {
    PATH=$tmp:$PATH bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _cntr; echo "${COMPREPLY[*]}"' _ "$HERE/cntr.bash" "$@"
}
check "bash: subcommands" "attach exec ps profiles help" "$(bash_complete cntr '')"
check "bash: help CMD" "attach" "$(bash_complete cntr help at)"
check "bash: --tools images" "host container:web container:worker container:prod/api/app docker.io/library/ux-tools:1 127.0.0.1:5000/tools:2" "$(bash_complete cntr attach --tools '')"
check "bash: -t list" "docker,podman" "$(bash_complete cntr attach -t docker,po)"
check "bash: containers" "web worker prod/api/app" "$(bash_complete cntr attach '')"
check "bash: exec after -t" "worker" "$(bash_complete cntr exec -t podman wo)"
check "bash: ps --format" "table json" "$(bash_complete cntr ps --format '')"
check "bash: profile names" "nginx-debug" "$(bash_complete cntr attach --profile '')"
check "bash: profiles show" "nginx-debug" "$(bash_complete cntr profiles show '')"

# With the bash-completion library, as an interactive bash runs it: readline splits
# the line at ':' too (COMP_WORDBREAKS), and the script must put the words together.
bash_complete_line() { # LINE
    PATH=$tmp:$PATH bash -c 'source /usr/share/bash-completion/bash_completion; source "$1"
        COMP_LINE=$2 COMP_POINT=${#2}
        read -ra COMP_WORDS <<<"${2//:/ : }"
        [[ $2 == *" " ]] && COMP_WORDS+=("")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) COMPREPLY=()
        _cntr; echo "${COMPREPLY[*]}"' _ "$HERE/cntr.bash" "$1"
}
if [[ -r /usr/share/bash-completion/bash_completion ]]; then
    check "bash-completion: --tools container:" "web worker" "$(bash_complete_line 'cntr attach --tools container:w')"
    check "bash-completion: --tools image with a port" "5000/tools:2" "$(bash_complete_line 'cntr attach --tools 127.0.0.1:5000/t')"
    check "bash-completion: --tools image" "docker.io/library/ux-tools:1" "$(bash_complete_line 'cntr attach --tools docker.io/lib')"
    check "bash-completion: container after --tools container:NAME" "web worker prod/api/app" "$(bash_complete_line 'cntr attach --tools container:web ')"
    check "bash-completion: -t list" "docker,podman" "$(bash_complete_line 'cntr attach -t docker,po')"
else
    echo "FAIL /usr/share/bash-completion/bash_completion missing (scripts/install-deps.sh installs bash-completion)"
    fail=1
fi

fatimg_complete() {
    PATH=$tmp:$PATH bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _cntr_fatimg; echo "${COMPREPLY[*]}"' _ "$HERE/cntr-fatimg.bash" "$@"
}
check "bash: cntr-fatimg subcommands" "pull import ls inspect path rm gc" "$(fatimg_complete cntr-fatimg '')"
for sub in inspect path rm; do
    check "bash: cntr-fatimg $sub images" "docker.io/library/ux-tools:1 127.0.0.1:5000/tools:2" "$(fatimg_complete cntr-fatimg $sub '')"
done
check "bash: cntr-fatimg --root images" "docker.io/library/ux-tools:1 127.0.0.1:5000/tools:2" "$(fatimg_complete cntr-fatimg --root /other/store path '')"
check "bash: cntr-fatimg import transports" "docker-archive: docker-daemon:" "$(fatimg_complete cntr-fatimg import dock)"
check "bash: cntr-fatimg pull options" "--tls-verify" "$(fatimg_complete cntr-fatimg pull --tls)"
check "bash: cntr-fatimg ls --format" "table json" "$(fatimg_complete cntr-fatimg ls --format '')"

# fish
fish_complete() { PATH=$tmp:$PATH fish -c "source $HERE/cntr.fish; complete -C '$1'" | cut -f1 | tr '\n' ' '; }
check "fish: subcommands" "attach " "$(fish_complete 'cntr at')"
check "fish: -t list" "docker,podman " "$(fish_complete 'cntr attach -t docker,po')"
check "fish: containers" "prod/api/app web worker " "$(fish_complete 'cntr attach ' | tr ' ' '\n' | grep -v '^-' | sort | tr '\n' ' ')"
check "fish: profiles" "nginx-debug " "$(fish_complete 'cntr attach --profile ')"
check "fish: --tools images" "127.0.0.1:5000/tools:2 container:prod/api/app container:web container:worker docker.io/library/ux-tools:1 host " "$(fish_complete 'cntr attach --tools ' | tr ' ' '\n' | sort | tr '\n' ' ')"
ffish() { PATH=$tmp:$PATH fish -c "source $HERE/cntr-fatimg.fish; complete -C '$1'" | cut -f1 | tr '\n' ' '; }
check "fish: cntr-fatimg subcommands" "gc import inspect ls path pull rm " "$(ffish 'cntr-fatimg ' | tr ' ' '\n' | grep -v '^-' | sort | tr '\n' ' ')"
for sub in inspect path rm; do
    check "fish: cntr-fatimg $sub images" "127.0.0.1:5000/tools:2 docker.io/library/ux-tools:1 " "$(ffish "cntr-fatimg $sub " | tr ' ' '\n' | grep -v '^-' | sort | tr '\n' ' ')"
done
check "fish: cntr-fatimg --root images" "127.0.0.1:5000/tools:2 docker.io/library/ux-tools:1 " "$(ffish 'cntr-fatimg --root /other/store rm ' | tr ' ' '\n' | grep -v '^-' | sort | tr '\n' ' ')"

# zsh: parses and defines the completion function.
zsh -n "$HERE/_cntr" && echo "ok   zsh: _cntr parses" || { echo "FAIL zsh -n _cntr"; fail=1; }
zsh -n "$HERE/_cntr_fatimg" && echo "ok   zsh: _cntr_fatimg parses" || { echo "FAIL zsh -n _cntr_fatimg"; fail=1; }

exit $fail
