// The session child: runs in a forked process, single-threaded, so it may
// setns() into any namespace (including a user namespace, which refuses
// multi-threaded callers). It sets up the root, joins the container's
// remaining namespaces and forks the command, which becomes the
// container's process. It then stays as the command's reaper: joining a PID
// namespace only takes effect for children, so someone has to wait.
//
// The order is the security design (DESIGN.md, "Threat model"). The reaper
// never enters the container's PID namespace itself, so the container cannot
// see it; the command is visible from its fork on, so:
//   1. the reaper is non-dumpable from its first instruction, and the command
//      inherits that until its execve() (no /proc/PID/fd, no ptrace for a
//      container process without CAP_SYS_PTRACE over the host);
//   2. before the fork the reaper closes every descriptor but 0-2 and the PTY
//      slave (the parent already has the master): the command is born
//      holding nothing of the host (CVE-2024-21626 was one such descriptor);
//   3. in the command, runc's order: fresh session keyring, rlimits/umask/
//      personality, LSM exec label, seccomp (here if no_new_privs is unset,
//      while CAP_SYS_ADMIN is still held), ids and capabilities with the
//      ptrace fence (credentials.hpp), no_new_privs, seccomp (here if it is
//      set: as late as possible), execve.
// Each layer but the namespaces can be lifted by name (elevation.hpp).
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include "credentials.hpp"
#include "environment.hpp"
#include "error.hpp"
#include "fd_passing.hpp"
#include "file_io.hpp"
#include "log.hpp"
#include "lsm.hpp"
#include "process_limits.hpp"
#include "seccomp_borrow.hpp"
#include "session.hpp"
#include "session_root.hpp"
#include "terminal.hpp"

namespace cntr {
namespace {

// Signals the reaper passes on to the command; terminal-generated ones
// (SIGINT, SIGQUIT) already reach it through its process group or PTY.
constexpr std::array kForwardedSignals = {SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGCONT};

void join_remaining_namespaces(const ProcessContext& ctx) {
    for (const auto& ns : ctx.namespaces) {
        if (ns.kind == Namespace::mnt || !ns.differs) continue;
        if (::setns(ns.fd.get(), namespace_clone_flag(ns.kind)) != 0)
            throw_errno(std::string("setns into the container's ") + namespace_name(ns.kind) +
                        " namespace");
    }
}

void enter_container_root(const ProcessContext& ctx) {
    const auto* mnt = ctx.find_namespace(Namespace::mnt);
    if (mnt != nullptr && mnt->differs)
        check(::setns(mnt->fd.get(), CLONE_NEWNS), "setns into the container's mount namespace");
    check(::fchdir(ctx.root.get()), "fchdir into the container's root");
    check(::chroot("."), "chroot into the container's root");
    check(::chdir("/"), "chdir /");
}

std::vector<std::string> container_environment(const ProcessContext& ctx,
                                               const SessionConfig& cfg) {
    std::vector<std::string> env;
    for (const auto& e : ctx.environ)
        if (e.find('=') != std::string::npos) env.push_back(e);
    if (!env_lookup(env, "PATH")) env_set(env, "PATH", kDefaultPath);
    if (cfg.term && !env_lookup(env, "TERM")) env_set(env, "TERM", *cfg.term);
    return env;
}

std::vector<std::string> command_line(const SessionConfig& cfg) {
    if (!cfg.command.empty()) return cfg.command;
    if (cfg.root_kind == SessionRootKind::tools && !cfg.user_shell.empty() &&
        ::access(cfg.user_shell.c_str(), X_OK) == 0)
        return {cfg.user_shell, "-l"};
    return {"/bin/sh"};
}

[[noreturn]] void exec_command(const std::vector<std::string>& argv,
                               const std::vector<std::string>& env) {
    std::vector<char*> cargv;
    cargv.reserve(argv.size() + 1);
    for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    std::vector<char*> cenv;
    cenv.reserve(env.size() + 1);
    for (const auto& e : env) cenv.push_back(const_cast<char*>(e.c_str()));
    cenv.push_back(nullptr);
    // execvpe() searches the caller's PATH, so make it the session's.
    if (auto path = env_lookup(env, "PATH")) ::setenv("PATH", path->c_str(), 1);
    ::execvpe(cargv[0], cargv.data(), cenv.data());
    int err = errno;
    log::error("cannot run '{}': {}", argv[0], std::strerror(err));
    ::_exit(err == ENOENT ? 127 : 126);
}

void reset_signals() {
    sigset_t all;
    sigemptyset(&all);
    ::sigprocmask(SIG_SETMASK, &all, nullptr);
    for (int sig = 1; sig < NSIG; ++sig)
        if (sig != SIGKILL && sig != SIGSTOP) (void)::signal(sig, SIG_DFL);
}

// The relay's pipe ends become the session's 0, 1 and 2 (session.hpp).
void take_relayed_stdio(const std::array<int, 3>& stdio) {
    if (stdio[0] < 0) return;
    for (int i = 0; i < 3; ++i) check(::dup2(stdio[i], i), "dup2 the session's stdio pipe");
    for (int fd : stdio)
        if (fd > STDERR_FILENO) ::close(fd);
}

// Step 2: only 0-2, the PTY slave and the host procfs the LSM label is written
// through stay open, as 3 and 4. Everything else (the container's /proc/PID
// and root, namespace descriptors, the pidfd, the control socket, /dev/fuse)
// belongs to the host. The Fd objects that owned them are never destroyed in
// this process: it ends in _exit().
struct KeptFds {
    Fd slave;
    int lsm_proc = -1;  // O_CLOEXEC; closed once the label is written
};

KeptFds close_all_but_stdio(Fd slave, int lsm_proc) {
    // Parked above every descriptor we hold, then moved down, so a source
    // number can never be overwritten by another's target.
    constexpr int kParking = 1000;
    constexpr int kFirstKept = STDERR_FILENO + 1;
    const int parked_slave =
        slave ? check(::fcntl(slave.get(), F_DUPFD_CLOEXEC, kParking), "F_DUPFD the PTY slave")
              : -1;
    const int parked_proc =
        lsm_proc >= 0 ? check(::fcntl(lsm_proc, F_DUPFD_CLOEXEC, kParking), "F_DUPFD /proc") : -1;
    (void)slave.release();
    check(::close_range(kFirstKept, kParking - 1, 0), "close_range");
    KeptFds kept;
    int next = kFirstKept;
    if (parked_slave >= 0) {
        check(::dup2(parked_slave, next), "dup2 the PTY slave");
        kept.slave = Fd(next++);
    }
    if (parked_proc >= 0) {
        check(::dup3(parked_proc, next, O_CLOEXEC), "dup3 the host procfs");
        kept.lsm_proc = next++;
    }
    check(::close_range(static_cast<unsigned>(next), ~0U, 0), "close_range");
    return kept;
}

// Step 3, in the reaper, before the fork that makes the command visible in the
// container's PID namespace: the container's keyring, limits, LSM exec label,
// seccomp filter (without no_new_privs it must be installed while
// CAP_SYS_ADMIN is still held) and credentials. The command is born with them,
// so a container process never sees a session process holding host root's
// capabilities. The reaper itself stays invisible (joining a PID namespace
// only moves children) and needs nothing privileged afterwards: it waits for
// the command and passes signals on, as the same user.
void become_container_process(const SessionConfig& cfg, int lsm_proc) {
    const ProcessContext& ctx = *cfg.ctx;
    const Elevation& elevate = cfg.elevation;
    if (!elevate.keyring) join_fresh_session_keyring();
    if (!elevate.limits) apply_process_limits(ctx);
    if (!elevate.lsm) apply_lsm_exec(cfg.lsm, lsm_proc);
    if (lsm_proc >= 0) ::close(lsm_proc);
    if (!elevate.seccomp && !ctx.seccomp_filters.empty() && !ctx.no_new_privs)
        install_seccomp_filters(ctx.seccomp_filters);
    apply_credentials(ctx, elevate);
    // A credential change resets dumpable to fs.suid_dumpable and clears the
    // parent-death signal; the command inherits both from here, and execve()
    // sets dumpable from the command's own credentials.
    ::prctl(PR_SET_DUMPABLE, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
}

int run_command(const SessionConfig& cfg, const std::vector<std::string>& env, Fd slave) {
    const ProcessContext& ctx = *cfg.ctx;
    reset_signals();
    if (slave) {
        check(::setsid(), "setsid");
        check(::ioctl(slave.get(), TIOCSCTTY, 0), "ioctl TIOCSCTTY");
        for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO})
            check(::dup2(slave.get(), fd), "dup2 the PTY");
        slave.reset();
    }
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    // As the container's user, like `docker exec -w`: a directory it may not
    // enter is reported, and the session starts in "/" instead.
    if (!cfg.workdir.empty() && ::chdir(cfg.workdir.c_str()) != 0) {
        log::warn("cannot start in {}: {}; starting in /", cfg.workdir, std::strerror(errno));
        check(::chdir("/"), "chdir /");
    }
    // With no_new_privs, as late as possible (runc's order): the filter then
    // constrains nothing of cntr's own set-up.
    if (!cfg.elevation.seccomp && !ctx.seccomp_filters.empty() && ctx.no_new_privs)
        install_seccomp_filters(ctx.seccomp_filters);
    exec_command(command_line(cfg), env);
}

int reap(ChildProcess& command) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    for (int sig : kForwardedSignals) sigaddset(&set, sig);
    for (;;) {
        siginfo_t info{};
        int sig = ::sigwaitinfo(&set, &info);
        if (sig < 0) continue;
        if (sig == SIGCHLD) {
            if (auto status = command.wait_for(std::chrono::milliseconds(0)))
                return exit_code_from_status(*status);
            continue;
        }
        command.kill(sig);
    }
}

}  // namespace

int run_session_child(const SessionConfig& cfg) {
    // Step 1, before anything else: nothing of this process is readable.
    ::prctl(PR_SET_DUMPABLE, 0);
    const ProcessContext& ctx = *cfg.ctx;
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    take_relayed_stdio(cfg.stdio);
    // Through the host's /proc, before any container mount is in sight.
    if (!cfg.elevation.limits) apply_oom_score_adj(ctx);

    std::vector<std::string> env;
    if (cfg.root_kind == SessionRootKind::tools) {
        Fd fuse_dev = open_fd("/dev/fuse", O_RDWR);
        if (!cfg.elevation.cgroup) join_cgroups(ctx);
        std::vector<HostDirectory> host_dirs = clone_host_socket_directories(cfg.host_sockets);
        SessionRoot root = build_session_root(cfg, std::move(fuse_dev), std::move(host_dirs));
        ::close(cfg.server_sock);
        env = session_environment({.container_env = ctx.environ,
                                   .tools_path = cfg.tools_path,
                                   .term = cfg.term,
                                   .tz = root.timezone,
                                   .env = cfg.env_policy,
                                   .path = cfg.path_policy,
                                   .session_vars = cfg.session_vars});
    } else {
        if (!cfg.elevation.cgroup) join_cgroups(ctx);
        enter_container_root(ctx);
        env = container_environment(ctx, cfg);
    }

    Fd master, slave;
    if (cfg.use_pty) {
        // The container's own devpts, so `tty` and ttyname() work in the session.
        std::tie(master, slave) = open_pty_pair("/dev/ptmx");
        if (::fchown(slave.get(), ctx.creds.uid, static_cast<gid_t>(-1)) != 0)
            log::debug("fchown of the PTY to uid {} failed: {}", ctx.creds.uid,
                       std::strerror(errno));
        if (cfg.term_attrs) ::tcsetattr(slave.get(), TCSANOW, &*cfg.term_attrs);
        if (cfg.term_size) ::ioctl(master.get(), TIOCSWINSZ, &*cfg.term_size);
    }

    join_remaining_namespaces(ctx);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    for (int sig : kForwardedSignals) sigaddset(&set, sig);
    ::sigprocmask(SIG_BLOCK, &set, nullptr);
    (void)::signal(SIGINT, SIG_IGN);
    (void)::signal(SIGQUIT, SIG_IGN);

    // The parent gets the master before the fork, so the command never holds
    // it or the control socket; a command that fails to start still reports
    // on stderr and through the exit code.
    if (master) {
        const std::array fds{master.get()};
        send_message(cfg.control_sock, "pty", fds);
    } else {
        send_message(cfg.control_sock, "ready");
    }
    master.reset();
    KeptFds kept =
        close_all_but_stdio(std::move(slave), cfg.lsm.host_proc ? cfg.lsm.host_proc.get() : -1);
    slave = std::move(kept.slave);

    become_container_process(cfg, kept.lsm_proc);

    ChildProcess command =
        ChildProcess::fork([&] { return run_command(cfg, env, std::move(slave)); });
    slave.reset();
    return reap(command);
}

}  // namespace cntr
