// Mount points the session needs but the tools root lacks.
//
// A tools image made from a plain layer tar (`docker import`, FROM scratch) has
// no /proc, /dev, /sys, often no /etc/hosts or /etc/resolv.conf (docker creates
// them when it runs a container), sometimes no /var/lib/cntr or /tmp. The tools
// are read-only and belong to the image store, so cntr never creates anything
// in them: it covers the nearest existing parent with a "skeleton" instead.
#pragma once

#include <string>
#include <vector>

namespace cntr {

struct Mountpoint {
    std::string path;       // absolute, in the session's view
    bool directory = true;  // else a regular file
    // What a file created here holds (the container and the tools both lack it,
    // so the session gets what docker would give a container).
    std::string content;
};

// Makes each wanted path exist in the current root (call it chrooted into the
// tools, before anything is mounted below "/"). A path that exists with the
// right type is left alone. For the others, the nearest existing parent
// directory gets a read-only tmpfs holding a copy of its entries (directories
// and files as bind mounts of the tools' own, symlinks as copies) plus the
// missing ones. When that parent is "/", the caller's root moves to the
// skeleton (chroot), as it did onto the tools.
void provide_mountpoints(const std::vector<Mountpoint>& wanted);

}  // namespace cntr
