# fish completion for cntr: subcommands, flags, engine types, profile names
# (`cntr profiles list`, when available), container names (`cntr ps`) and the
# store's images for --tools (`cntr-fatimg ls`).

function __cntr_containers
    cntr ps 2>/dev/null | awk 'NR > 1 { print $2 "\t" $1 }'
end

function __cntr_images
    cntr-fatimg ls 2>/dev/null | awk 'NR == 1 && $1 != "REFERENCE" { exit } NR > 1 { print $1 "\ttool image" }'
end

function __cntr_tools
    echo host
    __cntr_containers | string replace -r '^' container:
    __cntr_images
end

function __cntr_profiles
    cntr profiles list 2>/dev/null | awk 'NR == 1 && $1 != "NAME" { exit } NR > 1 { print $1 }'
end

# -t takes a comma-separated list: offer each engine after what is typed.
function __cntr_types
    set -l token (commandline -ct)
    set -l prefix (string replace -r '[^,]*$' '' -- $token)
    for t in docker podman lxc lxd nspawn kubernetes containerd rkt cgroup process_id command
        echo $prefix$t
    end
end

# True while no CONTAINER has been given to attach/exec yet.
function __cntr_needs_container
    set -l words (commandline -opc)
    set -l seen 0
    set -l skip 0
    for w in $words[2..-1]
        if test $skip = 1
            set skip 0
            continue
        end
        switch $w
            case -t --type --tools --pull --profile --profiles -u --user --effective-user --host-sockets --elevate --shell --path --format
                set skip 1
            case '-*'
            case '*'
                set seen (math $seen + 1)
        end
    end
    test $seen -eq 1
end

set -l subs attach exec ps profiles help
complete -c cntr -f
complete -c cntr -n "not __fish_seen_subcommand_from $subs" -s h -l help -d 'Print help'
complete -c cntr -n "not __fish_seen_subcommand_from $subs" -s V -l version -d 'Print the version'
complete -c cntr -n "not __fish_seen_subcommand_from $subs" -s v -l verbose -d 'Print debug messages'
complete -c cntr -n "not __fish_seen_subcommand_from $subs" -a attach -d 'Shell or COMMAND in a container with the host tools'
complete -c cntr -n "not __fish_seen_subcommand_from $subs" -a exec -d 'COMMAND of the container itself'
complete -c cntr -n "not __fish_seen_subcommand_from $subs" -a ps -d 'List attachable containers of every engine'
complete -c cntr -n "not __fish_seen_subcommand_from $subs" -a profiles -d 'List, show or validate debug profiles'
complete -c cntr -n "not __fish_seen_subcommand_from $subs" -a help -d 'Print the help of cntr or of a command'
complete -c cntr -n "__fish_seen_subcommand_from help; and not __fish_seen_subcommand_from attach exec ps profiles" -x -a 'attach exec ps profiles'

complete -c cntr -n "__fish_seen_subcommand_from attach exec ps" -s t -l type -x -a '(__cntr_types)' -d 'Container engines'
complete -c cntr -n "__fish_seen_subcommand_from attach exec; and __cntr_needs_container" -x -a '(__cntr_containers)'
complete -c cntr -n "__fish_seen_subcommand_from attach" -l tools -x -a '(__cntr_tools)' -d 'Where the tools come from'
complete -c cntr -n "__fish_seen_subcommand_from attach" -l pull -x -a 'missing always never' -d 'When to pull a tools image'
complete -c cntr -n "__fish_seen_subcommand_from attach" -l profile -x -a '(__cntr_profiles)' -d 'Debug profile'
complete -c cntr -n "__fish_seen_subcommand_from attach profiles" -l profiles -r -F -d 'Extra profile file'
complete -c cntr -n "__fish_seen_subcommand_from attach" -s u -l user -x -d 'User of the container'
complete -c cntr -n "__fish_seen_subcommand_from attach" -l effective-user -x -a '(__fish_complete_users)' -d 'Host user owning files the session creates'
complete -c cntr -n "__fish_seen_subcommand_from attach" -l writable-tools -d 'Serve the tools read-write as host root'
complete -c cntr -n "__fish_seen_subcommand_from attach" -s q -l quiet -d 'No banner at the start of an interactive session'
complete -c cntr -n "__fish_seen_subcommand_from attach" -l keep-serving -d 'Keep serving the tools after the command'
complete -c cntr -n "__fish_seen_subcommand_from attach" -l host-sockets -x -a 'x11 dbus x11,dbus' -d 'Host socket directories to mount'
complete -c cntr -n "__fish_seen_subcommand_from attach exec" -l elevate -x -a 'seccomp caps lsm cgroup limits keyring fence all' -d 'Confinement layers NOT to apply'
complete -c cntr -n "__fish_seen_subcommand_from attach" -l shell -x -a '(__fish_complete_command)' -d 'Shell to run'
complete -c cntr -n "__fish_seen_subcommand_from attach" -l path -x -a 'tools-only tools-first container-first' -d 'PATH policy'
complete -c cntr -n "__fish_seen_subcommand_from ps" -l format -x -a 'table json' -d 'Output format'
complete -c cntr -n "__fish_seen_subcommand_from profiles; and not __fish_seen_subcommand_from list show validate" -x -a 'list show validate'
complete -c cntr -n "__fish_seen_subcommand_from profiles; and __fish_seen_subcommand_from show" -x -a '(__cntr_profiles)'
