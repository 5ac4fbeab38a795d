// Id shifting between a user-namespaced container's view and the host's.
//
// `--uid-map "INSIDE OUTSIDE COUNT[,...]"` takes the container's /proc/PID/uid_map lines.
// The FUSE connection belongs to the initial user namespace, so every id on the wire is
// a host id: request credentials (fuse_ctx uid/gid), chown targets, ids inside ACL
// xattrs, and the owners we report. The served tree (host /) is owned by host ids that
// must look, to the container, like the same ids inside it: a file owned by host root
// must appear owned by the container's root. So the server treats backing ids as
// *inside* ids:
//   reported owner   = to_outside(backing owner)   (0 -> 100000 with "0 100000 65536";
//                      ids outside the map are reported as the overflow id 65534, which
//                      no mapping hands out, instead of colliding with a mapped one)
//   create as / chown = to_inside(host id on the wire) (100000 -> 0; unmapped ids pass
//                      unchanged: only host processes outside the container send them)
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
    [[nodiscard]] uint32_t report(uint32_t backing) const {
        return empty() ? backing : to_outside(backing).value_or(kOverflowId);
    }
    [[nodiscard]] uint32_t backing(uint32_t wire) const {
        return empty() ? wire : to_inside(wire).value_or(wire);
    }

    static constexpr uint32_t kOverflowId = 65534;

  private:
    struct Range {
        uint32_t inside, outside, count;
    };
    std::vector<Range> ranges_;
};

}  // namespace cntrfs
