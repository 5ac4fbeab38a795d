# bash completion for cntr-fatimg                           -*- shell-script -*-
# Subcommands, their flags, the source transports of import, and the store's
# images (`cntr-fatimg ls`, with --root when it was typed) for inspect, path and
# rm. A store that cannot be read completes nothing.

_cntr_fatimg_images() { # [ROOT]
    cntr-fatimg ${1:+--root "$1"} ls 2>/dev/null | awk 'NR == 1 && $1 != "REFERENCE" { exit } NR > 1 { print $1 }'
}

_cntr_fatimg() {
    local cur prev words cword
    if declare -F _init_completion >/dev/null; then
        _init_completion -n : || return
    else
        cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
        words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
    fi

    local sub="" root="" i positional=0
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
        --root) root=${words[i + 1]}; ((i++)) ;;
        --creds | --tls-verify | --platform | --name | --format | --max-image-size | --max-image-entries) ((i++)) ;;
        -*) ;;
        *) if [[ -z $sub ]]; then sub=${words[i]}; else positional=$((positional + 1)); fi ;;
        esac
    done

    case $prev in
    --root) COMPREPLY=($(compgen -d -- "$cur")); return 0 ;;
    --tls-verify) COMPREPLY=($(compgen -W "true false" -- "$cur")); return 0 ;;
    --format) COMPREPLY=($(compgen -W "table json" -- "$cur")); return 0 ;;
    --creds | --platform | --name | --max-image-size | --max-image-entries) return 0 ;;
    esac

    case $sub in
    "")
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "-h --help -V --version -v --verbose --root" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "pull import ls inspect path rm gc" -- "$cur"))
        fi
        ;;
    pull)
        COMPREPLY=($(compgen -W "-h --help --creds --tls-verify -q --quiet --platform --max-image-size --max-image-entries" -- "$cur"))
        ;;
    import)
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "-h --help --name --platform --max-image-size --max-image-entries" -- "$cur"))
        elif [[ $cur == *:* ]]; then
            # docker-archive:PATH and friends: complete the path after the transport.
            local transport=${cur%%:*}: IFS=$'\n'
            COMPREPLY=($(compgen -P "$transport" -f -- "${cur#*:}"))
        else
            COMPREPLY=($(compgen -W "docker-archive: oci-archive: oci: docker-daemon:" -- "$cur"))
            compopt -o nospace 2>/dev/null
        fi
        ;;
    ls)
        COMPREPLY=($(compgen -W "-h --help --format" -- "$cur"))
        ;;
    inspect | path | rm)
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "-h --help" -- "$cur"))
        elif ((positional == 0)); then
            COMPREPLY=($(compgen -W "$(_cntr_fatimg_images "$root")" -- "$cur"))
        fi
        ;;
    gc)
        COMPREPLY=($(compgen -W "-h --help" -- "$cur"))
        ;;
    esac
    # Image names hold ':' (a word break for bash): complete them as one word.
    declare -F __ltrim_colon_completions >/dev/null && __ltrim_colon_completions "$cur"
    return 0
}
complete -F _cntr_fatimg cntr-fatimg
