// The container's seccomp filters, borrowed from its process and installed in
// the session's command, so the command may make exactly the syscalls a
// `docker exec` process may.
//
// The kernel hands a filter's BPF program to a tracer that holds
// CAP_SYS_ADMIN (PTRACE_SECCOMP_GET_FILTER). cntr seizes the container's
// process, interrupts it, copies every filter and detaches: the process is
// stopped for well under a millisecond per filter and sees nothing but an
// EINTR-restarted syscall. A runtime's own view (config.json) is not used: it
// may be gone, and the kernel's copy is what actually confines the container.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <vector>

#include "process_context.hpp"

namespace cntr {

// Fills ctx.seccomp_filters from the container's process (mode 2), or
// refuses a mode the session cannot copy (strict mode 1).
void borrow_container_seccomp(ProcessContext& ctx);

// The filters of `pid`, oldest first (the order they must be installed in).
// Throws UserError naming what to try when they cannot be read.
std::vector<std::vector<sock_filter>> borrow_seccomp_filters(pid_t pid);

// Installs `filters` in the calling thread, oldest first. Without
// no_new_privs this needs CAP_SYS_ADMIN in the caller's user namespace.
void install_seccomp_filters(const std::vector<std::vector<sock_filter>>& filters);

}  // namespace cntr
