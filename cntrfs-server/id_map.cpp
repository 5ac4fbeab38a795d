#include "id_map.hpp"

#include <sstream>

#include "error.hpp"

namespace cntrfs {

IdMap IdMap::parse(const std::string& text, const std::string& option) {
    IdMap map;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line, ',');) {
        std::istringstream fields(line);
        uint64_t inside = 0, outside = 0, count = 0;
        std::string extra;
        if (!(fields >> inside >> outside >> count) || (fields >> extra) || count == 0 ||
            inside + count > (1ULL << 32) || outside + count > (1ULL << 32)) {
            throw cntr::UserError(option + " \"" + text + "\": each range must be three numbers " +
                                  "\"INSIDE OUTSIDE COUNT\" (as in /proc/PID/uid_map), ranges " +
                                  "separated by commas");
        }
        for (const Range& r : map.ranges_) {
            bool in_overlap = inside < uint64_t{r.inside} + r.count && r.inside < inside + count;
            bool out_overlap =
                outside < uint64_t{r.outside} + r.count && r.outside < outside + count;
            if (in_overlap || out_overlap) {
                throw cntr::UserError(option + " \"" + text + "\": ranges overlap");
            }
        }
        map.ranges_.push_back(Range{static_cast<uint32_t>(inside), static_cast<uint32_t>(outside),
                                    static_cast<uint32_t>(count)});
    }
    if (map.ranges_.empty()) throw cntr::UserError(option + ": empty map");
    return map;
}

std::optional<uint32_t> IdMap::to_outside(uint32_t inside) const {
    for (const Range& r : ranges_) {
        if (inside >= r.inside && inside - r.inside < r.count)
            return r.outside + (inside - r.inside);
    }
    return std::nullopt;
}

std::optional<uint32_t> IdMap::to_inside(uint32_t outside) const {
    for (const Range& r : ranges_) {
        if (outside >= r.outside && outside - r.outside < r.count) {
            return r.inside + (outside - r.outside);
        }
    }
    return std::nullopt;
}

}  // namespace cntrfs
