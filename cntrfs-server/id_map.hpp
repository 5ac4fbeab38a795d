// Id shifting between a user-namespaced container's view and the host's.
//
// `--uid-map "INSIDE OUTSIDE COUNT[,...]"` takes the container's /proc/PID/uid_map lines.
// The FUSE connection belongs to the initial user namespace, so every id on the wire is
// a host id: request credentials (fuse_ctx uid/gid), chown targets, ids inside ACL
// xattrs, and the owners we report. Two ways to read the ids on disk:
//
// Host owners (the default). Backing ids are host ids, as on any mount the kernel shows
// a user-namespaced process, and we follow the kernel's rule for idmapped mounts: an
// owner the container's map does not cover is reported as the overflow id 65534, never
// as one of the container's ids.
//   reported owner    = backing owner if the map covers it, else 65534
//   create as / chown = the host id on the wire, unchanged
// So host root's files are nobody's in the container, its root (host 100000) cannot
// write them (it holds no capability over an unmapped owner), and its new files land
// as host 100000 - exactly what a bind mount of the same tree would give it.
//
// Shifted owners (shift_owners(), --shift-owners; read-only roots only). Backing ids
// are treated as *inside* ids, so a tools tree owned by host root looks owned by the
// container's root (what ownership checks of tools expect):
//   reported owner   = to_outside(backing owner)   (0 -> 100000 with "0 100000 65536";
//                      ids outside the map are reported as the overflow id 65534, which
//                      no mapping hands out, instead of colliding with a mapped one)
//   create as / chown = to_inside(host id on the wire) (100000 -> 0; unmapped ids pass
//                      unchanged: only host processes outside the container send them)
// This hands the container's root the owner's rights over host root's files, which is
// why it is only allowed where nothing can be changed (main.cpp refuses it otherwise).
// Without a map both directions are the identity.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace cntrfs {

class IdMap {
  public:
    IdMap() = default;
    // Parses "INSIDE OUTSIDE COUNT[,INSIDE OUTSIDE COUNT...]"; throws UserError naming
    // `option` on malformed input or overlapping ranges.
    static IdMap parse(const std::string& text, const std::string& option);

    [[nodiscard]] bool empty() const { return ranges_.empty(); }
    [[nodiscard]] std::optional<uint32_t> to_outside(uint32_t inside) const;
    [[nodiscard]] std::optional<uint32_t> to_inside(uint32_t outside) const;

    // What the server reports for a backing id / uses for an id from the wire.
    // Treat ids on disk as the container's (see "Shifted owners" above).
    void shift_owners() { shift_ = true; }

    // What the server reports for a backing id / uses for an id from the wire.
    [[nodiscard]] uint32_t report(uint32_t backing) const {
        if (empty()) return backing;
        if (shift_) return to_outside(backing).value_or(kOverflowId);
        return to_inside(backing) ? backing : kOverflowId;
    }
    [[nodiscard]] uint32_t backing(uint32_t wire) const {
        return empty() || !shift_ ? wire : to_inside(wire).value_or(wire);
    }

    static constexpr uint32_t kOverflowId = 65534;

  private:
    struct Range {
        uint32_t inside, outside, count;
    };
    std::vector<Range> ranges_;
    bool shift_ = false;
};

}  // namespace cntrfs
