#include "credentials.hpp"

#include <grp.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "error.hpp"

namespace cntr {
namespace {

uint32_t inside_id(const std::vector<IdMapEntry>& map, uint32_t host_id, const char* what) {
    auto id = map_to_inside(map, host_id);
    if (!id)
        throw UserError(std::string("the container's ") + what + " " + std::to_string(host_id) +
                        " has no mapping in its user namespace");
    return *id;
}

std::string cap_name(int cap) {
    std::unique_ptr<char, decltype(&cap_free)> name(cap_to_name(static_cast<cap_value_t>(cap)),
                                                    cap_free);
    return name ? std::string(name.get()) : std::to_string(cap);
}

bool has_cap(uint64_t mask, int cap) { return ((mask >> cap) & 1U) != 0; }

// cntr's own permitted and bounding sets: what `--elevate caps` keeps. Not
// "every capability": cntr may run with a reduced bounding set itself.
Capabilities own_capabilities(int last_cap) {
    std::unique_ptr<_cap_struct, decltype(&cap_free)> caps(cap_get_proc(), cap_free);
    if (!caps) throw_errno("capget (cntr's own capabilities)");
    Capabilities own;
    for (int cap = 0; cap <= last_cap; ++cap) {
        if (!CAP_IS_SUPPORTED(cap)) continue;
        cap_flag_value_t value = CAP_CLEAR;
        if (cap_get_flag(caps.get(), static_cast<cap_value_t>(cap), CAP_PERMITTED, &value) == 0 &&
            value == CAP_SET)
            own.permitted |= uint64_t{1} << cap;
        if (cap_get_bound(static_cast<cap_value_t>(cap)) > 0) own.bounding |= uint64_t{1} << cap;
    }
    own.effective = own.inheritable = own.ambient = own.permitted;
    return own;
}

}  // namespace

std::optional<int> ptrace_fence_capability(const ProcessContext& ctx) {
    if (has_cap(ctx.caps.bounding, CAP_WAKE_ALARM) || !CAP_IS_SUPPORTED(CAP_WAKE_ALARM))
        return std::nullopt;
    return CAP_WAKE_ALARM;
}

void apply_credentials(const ProcessContext& ctx, const Elevation& elevation) {
    const auto& c = ctx.creds;
    const int last_cap = static_cast<int>(cap_max_bits()) - 1;
    // The sets the command gets: the container's, plus the fence, or all of them.
    Capabilities sets = ctx.caps;
    if (elevation.caps) {
        sets = own_capabilities(last_cap);
    } else if (auto fence = ptrace_fence_capability(ctx); fence && !elevation.fence) {
        const uint64_t bit = uint64_t{1} << *fence;
        sets.bounding |= bit;
        sets.permitted |= bit;
        sets.inheritable |= bit;  // ambient needs it in inheritable
        sets.ambient |= bit;
    }

    // The bounding set can only shrink, and only while we still hold CAP_SETPCAP.
    for (int cap = 0; cap <= last_cap; ++cap) {
        if (!has_cap(sets.bounding, cap) && CAP_IS_SUPPORTED(cap))
            if (cap_drop_bound(static_cast<cap_value_t>(cap)) != 0)
                throw_errno("drop capability " + cap_name(cap) + " from the bounding set");
    }

    check(::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), "prctl PR_SET_KEEPCAPS");

    if (ctx.setgroups_allowed) {
        std::vector<gid_t> groups;
        for (gid_t g : c.groups)
            if (auto inside = map_to_inside(ctx.gid_map, g)) groups.push_back(*inside);
        check(::setgroups(groups.size(), groups.data()), "setgroups");
    }
    check(::setresgid(inside_id(ctx.gid_map, c.gid, "gid"), inside_id(ctx.gid_map, c.egid, "gid"),
                      inside_id(ctx.gid_map, c.sgid, "gid")),
          "setresgid");
    check(::setresuid(inside_id(ctx.uid_map, c.uid, "uid"), inside_id(ctx.uid_map, c.euid, "uid"),
                      inside_id(ctx.uid_map, c.suid, "uid")),
          "setresuid");

    std::unique_ptr<_cap_struct, decltype(&cap_free)> caps(cap_init(), cap_free);
    if (!caps) throw_errno("cap_init");
    for (int cap = 0; cap <= last_cap; ++cap) {
        if (!CAP_IS_SUPPORTED(cap)) continue;
        cap_value_t v = cap;
        if (has_cap(sets.effective, cap)) cap_set_flag(caps.get(), CAP_EFFECTIVE, 1, &v, CAP_SET);
        if (has_cap(sets.permitted, cap)) cap_set_flag(caps.get(), CAP_PERMITTED, 1, &v, CAP_SET);
        if (has_cap(sets.inheritable, cap))
            cap_set_flag(caps.get(), CAP_INHERITABLE, 1, &v, CAP_SET);
    }
    if (cap_set_proc(caps.get()) != 0) throw_errno("capset (the container's capability sets)");

    check(cap_reset_ambient(), "reset ambient capabilities");
    for (int cap = 0; cap <= last_cap; ++cap) {
        if (has_cap(sets.ambient, cap) && CAP_IS_SUPPORTED(cap))
            if (cap_set_ambient(static_cast<cap_value_t>(cap), CAP_SET) != 0)
                throw_errno("raise ambient capability " + cap_name(cap));
    }
    check(::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), "prctl PR_SET_KEEPCAPS");

    if (ctx.no_new_privs)
        check(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl PR_SET_NO_NEW_PRIVS");
}

}  // namespace cntr
