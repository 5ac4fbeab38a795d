# bash completion for cntr                                  -*- shell-script -*-
# Subcommands, flags, engine types (-t), profile names (`cntr profiles list`,
# when that works), container names (`cntr ps`; as an ordinary user this
# lists only what the user may attach to) and, for --tools, the images of the
# store (`cntr-fatimg ls`). Nothing fails loudly: a cntr that cannot list just
# completes nothing.

_cntr_types="docker podman lxc lxd nspawn kubernetes containerd rkt cgroup process_id command"

_cntr_containers() {
    cntr ps 2>/dev/null | awk 'NR > 1 { print $2 }'
}

# The store's images, as `cntr-fatimg ls` names them (--tools takes them as they are).
_cntr_images() {
    cntr-fatimg ls 2>/dev/null | awk 'NR == 1 && $1 != "REFERENCE" { exit } NR > 1 { print $1 }'
}

_cntr_profiles() {
    cntr profiles list 2>/dev/null | awk 'NR == 1 && $1 != "NAME" { exit } NR > 1 { print $1 }'
}

# -t takes a comma-separated list: complete the last element.
_cntr_complete_types() {
    local cur=$1 prefix=""
    [[ $cur == *,* ]] && prefix=${cur%,*},
    local IFS=$'\n'
    COMPREPLY=($(compgen -P "$prefix" -W "${_cntr_types// /$'\n'}" -- "${cur##*,}"))
}

_cntr() {
    local cur prev words cword
    if declare -F _init_completion >/dev/null; then
        _init_completion -n ,: || return
    else
        cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
        words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
    fi

    # The subcommand and how many positional words (CONTAINER, COMMAND...)
    # precede the cursor; options' values are skipped.
    local sub="" i positional=0
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
        -t | --type | --tools | --pull | --profile | --profiles | -u | --user | --effective-user | --host-sockets | --elevate | --shell | --path | --format) ((i++)) ;;
        -*) ;;
        *) if [[ -z $sub ]]; then sub=${words[i]}; else positional=$((positional + 1)); fi ;;
        esac
    done

    case $prev in
    -t | --type) _cntr_complete_types "$cur"; return 0 ;;
    --pull) COMPREPLY=($(compgen -W "missing always never" -- "$cur")); return 0 ;;
    --path) COMPREPLY=($(compgen -W "tools-only tools-first container-first" -- "$cur")); return 0 ;;
    --format) COMPREPLY=($(compgen -W "table json" -- "$cur")); return 0 ;;
    --profile) COMPREPLY=($(compgen -W "$(_cntr_profiles)" -- "$cur")); return 0 ;;
    --profiles) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
    --shell) COMPREPLY=($(compgen -c -- "$cur")); return 0 ;;
    --tools)
        COMPREPLY=($(compgen -W "host $(_cntr_containers | sed 's/^/container:/') $(_cntr_images)" -- "$cur"))
        # container:NAME and image names hold ':' (a word break for bash): bash
        # inserts only what follows the last ':' of the word being completed.
        declare -F __ltrim_colon_completions >/dev/null && __ltrim_colon_completions "$cur"
        return 0
        ;;
    -u | --user | --effective-user) return 0 ;;
    esac

    case $sub in
    "")
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "-h --help -V --version -v --verbose" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "attach exec ps profiles help" -- "$cur"))
        fi
        ;;
    help)
        ((positional == 0)) && COMPREPLY=($(compgen -W "attach exec ps profiles" -- "$cur"))
        ;;
    attach)
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "-h --help -t --type --tools --pull --profile --profiles -u --user --effective-user -q --quiet --writable-tools --keep-serving --host-sockets --elevate --shell --path --" -- "$cur"))
        elif ((positional == 0)); then
            COMPREPLY=($(compgen -W "$(_cntr_containers)" -- "$cur"))
        else
            COMPREPLY=($(compgen -c -- "$cur"))
        fi
        ;;
    exec)
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "-h --help -t --type --elevate --" -- "$cur"))
        elif ((positional == 0)); then
            COMPREPLY=($(compgen -W "$(_cntr_containers)" -- "$cur"))
        fi
        ;;
    ps)
        COMPREPLY=($(compgen -W "-h --help --format -t --type" -- "$cur"))
        ;;
    profiles)
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "-h --help --profiles" -- "$cur"))
        elif ((positional == 0)); then
            COMPREPLY=($(compgen -W "list show validate" -- "$cur"))
        elif [[ ${words[cword - 1]} == show ]]; then
            COMPREPLY=($(compgen -W "$(_cntr_profiles)" -- "$cur"))
        else
            COMPREPLY=($(compgen -f -- "$cur"))
        fi
        ;;
    esac
    return 0
}
complete -F _cntr cntr
