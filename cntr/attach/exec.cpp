// cntr exec: a command of the container itself.
//
// With a container name it is `nsenter` plus the container's cgroup,
// credentials and environment: the command runs in the container's own root.
// Without one it must run inside a `cntr attach` session, where the
// container's root is /var/lib/cntr: it chroots there and restores the
// container's PATH that the session replaced with the tools'.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "commands.hpp"
#include "environment.hpp"
#include "error.hpp"
#include "log.hpp"
#include "preflight.hpp"
#include "process_context.hpp"
#include "resolve/resolver.hpp"
#include "seccomp_borrow.hpp"
#include "session.hpp"
#include "target_confirm.hpp"

namespace cntr {
namespace {

bool is_mount_point(const char* path) {
    struct stat here {
    }, parent{};
    if (::stat(path, &here) != 0) return false;
    if (::stat((std::string(path) + "/..").c_str(), &parent) != 0) return false;
    return here.st_dev != parent.st_dev || here.st_ino == parent.st_ino;
}

[[noreturn]] void exec_in_session_container(const std::vector<std::string>& command) {
    const char* container_path = std::getenv(kContainerPathVar);
    if (container_path == nullptr || !is_mount_point("/var/lib/cntr"))
        throw UserError(
            "cntr exec without a container only works inside a 'cntr attach' session; "
            "outside one, name the container: cntr exec CONTAINER -- COMMAND");
    if (::chroot("/var/lib/cntr") != 0) {
        if (errno == EPERM)
            throw UserError(
                "cntr exec: chroot into /var/lib/cntr is not permitted: the container's "
                "process has no CAP_SYS_CHROOT, so its session cannot use cntr exec");
        throw_errno("chroot /var/lib/cntr");
    }
    check(::chdir("/"), "chdir /");
    ::setenv("PATH", container_path, 1);
    ::unsetenv(kContainerPathVar);
    // The session's TZ names the container's file by its session path.
    if (const char* tz = std::getenv("TZ");
        tz != nullptr && std::strstr(tz, "/var/lib/cntr") != nullptr)
        ::unsetenv("TZ");
    std::vector<std::string> argv = command.empty() ? std::vector<std::string>{"/bin/sh"} : command;
    std::vector<char*> cargv;
    cargv.reserve(argv.size() + 1);
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    ::execvp(cargv[0], cargv.data());
    int err = errno;
    log::error("cannot run '{}' in the container: {}", argv[0], std::strerror(err));
    std::exit(err == ENOENT ? 127 : 126);
}

}  // namespace

int run_exec(const ExecOptions& opts) {
    if (opts.container.empty()) exec_in_session_container(opts.command);
    require_privileges("exec");
    require_kernel();
    auto resolved = resolve_container(opts.container, opts.types);
    require_target_access(resolved.pid, "exec");
    ProcessContext ctx = capture_process_context(resolved.pid);
    confirm_resolution(ctx, opts.container, resolved);
    Elevation elevation;
    if (opts.elevate) parse_elevation(*opts.elevate, elevation);
    if (!elevation.seccomp) borrow_container_seccomp(ctx);
    SessionConfig cfg = interactive_session_config(ctx);
    cfg.elevation = elevation;
    cfg.root_kind = SessionRootKind::container;
    cfg.command = opts.command;
    return run_session(std::move(cfg), nullptr);
}

}  // namespace cntr
