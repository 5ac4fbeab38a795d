# fish completion for cntr-fatimg: subcommands, their flags, import's source
# transports and the store's images (`cntr-fatimg ls`) for inspect, path, rm.

function __cntr_fatimg_images
    set -l root (string match -r -- '--root(?:=|\s+)(\S+)' (commandline -pc))[2]
    if test -n "$root"
        cntr-fatimg --root $root ls 2>/dev/null
    else
        cntr-fatimg ls 2>/dev/null
    end | awk 'NR == 1 && $1 != "REFERENCE" { exit } NR > 1 { print $1 }'
end

set -l subs pull import ls inspect path rm gc
complete -c cntr-fatimg -f
complete -c cntr-fatimg -s h -l help -d 'Print help'
complete -c cntr-fatimg -n "not __fish_seen_subcommand_from $subs" -s V -l version -d 'Print the version'
complete -c cntr-fatimg -n "not __fish_seen_subcommand_from $subs" -s v -l verbose -d 'Print debug messages'
complete -c cntr-fatimg -n "not __fish_seen_subcommand_from $subs" -l root -x -a '(__fish_complete_directories)' -d 'Image store directory'
complete -c cntr-fatimg -n "not __fish_seen_subcommand_from $subs" -a pull -d 'Pull an image from a registry'
complete -c cntr-fatimg -n "not __fish_seen_subcommand_from $subs" -a import -d 'Import an image from a local source'
complete -c cntr-fatimg -n "not __fish_seen_subcommand_from $subs" -a ls -d 'List the images in the store'
complete -c cntr-fatimg -n "not __fish_seen_subcommand_from $subs" -a inspect -d 'Print an image as JSON'
complete -c cntr-fatimg -n "not __fish_seen_subcommand_from $subs" -a path -d "Print an image's root directory"
complete -c cntr-fatimg -n "not __fish_seen_subcommand_from $subs" -a rm -d 'Remove an image name'
complete -c cntr-fatimg -n "not __fish_seen_subcommand_from $subs" -a gc -d 'Remove unreferenced blobs and roots'

complete -c cntr-fatimg -n "__fish_seen_subcommand_from pull" -l creds -x -d 'Registry credentials USER:PASSWORD'
complete -c cntr-fatimg -n "__fish_seen_subcommand_from pull" -l tls-verify -x -a 'true false' -d "Verify the registry's certificate"
complete -c cntr-fatimg -n "__fish_seen_subcommand_from pull" -s q -l quiet -d 'No progress output'
complete -c cntr-fatimg -n "__fish_seen_subcommand_from pull import" -l platform -x -d 'OS/ARCH[/VARIANT]'
complete -c cntr-fatimg -n "__fish_seen_subcommand_from pull import" -l max-image-size -x -d 'Largest unpacked size'
complete -c cntr-fatimg -n "__fish_seen_subcommand_from pull import" -l max-image-entries -x -d 'Most tar entries'
complete -c cntr-fatimg -n "__fish_seen_subcommand_from import" -l name -x -d 'Record under NAME[:TAG]'
complete -c cntr-fatimg -n "__fish_seen_subcommand_from import" -a 'docker-archive: oci-archive: oci: docker-daemon:' -d 'Source transport'
complete -c cntr-fatimg -n "__fish_seen_subcommand_from ls" -l format -x -a 'table json' -d 'Output format'
complete -c cntr-fatimg -n "__fish_seen_subcommand_from inspect path rm" -x -a '(__cntr_fatimg_images)'
