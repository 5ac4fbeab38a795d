#include "privileges.hpp"

#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>

#include "error.hpp"

namespace cntrfs {
namespace {

// The highest capability the kernel knows (newer than our headers, perhaps).
int last_capability() {
    int last = CAP_LAST_CAP;
    while (::prctl(PR_CAPBSET_READ, last + 1, 0, 0, 0) >= 0) ++last;
    return last;
}

bool holds_any_capability() {
    __user_cap_header_struct header{.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    std::array<__user_cap_data_struct, _LINUX_CAPABILITY_U32S_3> data{};
    if (::syscall(SYS_capget, &header, data.data()) != 0) cntr::throw_errno("capget");
    for (const auto& d : data)
        if (d.effective != 0 || d.permitted != 0 || d.inheritable != 0) return true;
    return false;
}

}  // namespace

void drop_privileges() {
    // Started by an ordinary user (cntr with file capabilities, for their own rootless
    // containers): the server has that user's ids and no capabilities, and without
    // CAP_SETUID it cannot become anybody else. It serves what that user may read,
    // which docs/security.md says; it only makes sure nothing can be regained.
    if (::geteuid() != 0 && ::getuid() != 0) {
        if (holds_any_capability())
            throw cntr::UserError(
                "--unprivileged: the server holds capabilities but is not root; it cannot drop "
                "to uid 65534 (start it as root or without capabilities)");
        cntr::check(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl PR_SET_NO_NEW_PRIVS");
        return;
    }
    // The bounding set first: dropping from it needs CAP_SETPCAP, which setuid takes away.
    for (int cap = 0; cap <= last_capability(); ++cap)
        cntr::check(::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), "prctl PR_CAPBSET_DROP");
    cntr::check(::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0),
                "prctl PR_CAP_AMBIENT_CLEAR_ALL");
    cntr::check(::setgroups(0, nullptr), "setgroups to none");
    cntr::check(::setresgid(kUnprivilegedGid, kUnprivilegedGid, kUnprivilegedGid),
                "setresgid 65534");
    // From uid 0 to non-zero ids in all three: the kernel clears the permitted and
    // effective capability sets (we never set SECBIT_KEEP_CAPS).
    cntr::check(::setresuid(kUnprivilegedUid, kUnprivilegedUid, kUnprivilegedUid),
                "setresuid 65534");
    cntr::check(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl PR_SET_NO_NEW_PRIVS");
    // Fail closed: verify rather than trust the sequence above.
    uid_t r = 0, e = 0, s = 0;
    gid_t rg = 0, eg = 0, sg = 0;
    cntr::check(::getresuid(&r, &e, &s), "getresuid");
    cntr::check(::getresgid(&rg, &eg, &sg), "getresgid");
    if (r != kUnprivilegedUid || e != kUnprivilegedUid || s != kUnprivilegedUid ||
        rg != kUnprivilegedGid || eg != kUnprivilegedGid || sg != kUnprivilegedGid ||
        ::getgroups(0, nullptr) != 0 || holds_any_capability())
        throw cntr::UserError(
            "--unprivileged: the server still holds privileges after dropping them");
}

}  // namespace cntrfs
