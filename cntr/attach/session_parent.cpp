// The parent's half of a session: wait for the child's "pty"/"ready", then
// run one poll() loop until the command exits. The loop copies the user's
// terminal to the PTY and back (PTY mode), forwards window-size changes and
// termination signals, and watches the container's process through a pidfd:
// if the container dies, cntr says so and ends the session within seconds
// rather than waiting on a command that can no longer run.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <string>

#include "error.hpp"
#include "fd_passing.hpp"
#include "log.hpp"
#include "session.hpp"
#include "stdio_relay.hpp"
#include "terminal.hpp"

namespace cntr {
namespace {

constexpr auto kServerExitWait = std::chrono::seconds(5);
constexpr auto kServerTermWait = std::chrono::seconds(2);
constexpr auto kGraceAfterContainerDeath = std::chrono::seconds(2);

class BlockedSignals {
  public:
    explicit BlockedSignals(std::initializer_list<int> signals) {
        sigset_t set;
        sigemptyset(&set);
        for (int s : signals) sigaddset(&set, s);
        ::sigprocmask(SIG_BLOCK, &set, &saved_);
        fd_ = Fd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
        if (!fd_) throw_errno("signalfd");
    }
    BlockedSignals(const BlockedSignals&) = delete;
    BlockedSignals& operator=(const BlockedSignals&) = delete;
    ~BlockedSignals() { ::sigprocmask(SIG_SETMASK, &saved_, nullptr); }
    [[nodiscard]] int fd() const { return fd_.get(); }

  private:
    sigset_t saved_{};
    Fd fd_;
};

// Copies bytes between the user's terminal and the PTY master without ever
// blocking on one side while the other has data waiting.
class PtyPump {
  public:
    explicit PtyPump(int master) : master_(master) {
        ::fcntl(master_, F_SETFL, ::fcntl(master_, F_GETFL) | O_NONBLOCK);
    }
    [[nodiscard]] bool wants_input() const { return !stdin_closed_ && to_master_.size() < kBuffer; }
    [[nodiscard]] bool has_pending() const { return !to_master_.empty(); }

    void read_stdin() {
        std::array<char, 4096> buf{};
        ssize_t n = ::read(STDIN_FILENO, buf.data(), buf.size());
        if (n > 0)
            to_master_.append(buf.data(), static_cast<size_t>(n));
        else if (n == 0 || (errno != EINTR && errno != EAGAIN))
            stdin_closed_ = true;
    }
    void write_master() {
        ssize_t n = ::write(master_, to_master_.data(), to_master_.size());
        if (n > 0) to_master_.erase(0, static_cast<size_t>(n));
    }
    // Returns false when the PTY has nothing more to give (EIO: no slave left).
    bool copy_output() {
        std::array<char, 16384> buf{};
        ssize_t n = ::read(master_, buf.data(), buf.size());
        if (n <= 0) return n < 0 && (errno == EAGAIN || errno == EINTR);
        std::string_view out(buf.data(), static_cast<size_t>(n));
        while (!out.empty()) {
            ssize_t w = ::write(STDOUT_FILENO, out.data(), out.size());
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) return true;  // the user's terminal went away; keep draining
            out.remove_prefix(static_cast<size_t>(w));
        }
        return true;
    }
    void drain() {
        while (copy_output()) {
            pollfd p{.fd = master_, .events = POLLIN, .revents = 0};
            if (::poll(&p, 1, 0) <= 0) break;
        }
    }

  private:
    static constexpr size_t kBuffer = size_t{64} * 1024;
    int master_;
    std::string to_master_;
    bool stdin_closed_ = false;
};

// The session is over: end the FUSE connection now, even if a process of the
// container still holds a path in the tools (a cwd in /proc/<pid>/root/..., an
// open directory), or it would keep reaching them for as long as it likes. The
// server holds the only /dev/fuse descriptor of the connection (the session
// child gave its own away), and the kernel aborts a connection when its last
// descriptor closes: from then on every access through a held reference fails
// with ENOTCONN. So ending the server is enough. SIGTERM first, so that a
// request in flight is answered; SIGKILL if it does not exit promptly.
void end_tools_server(ChildProcess& server) {
    server.kill(SIGTERM);
    if (server.wait_for(kServerTermWait)) return;
    log::debug("cntrfs-server (PID {}) did not exit on SIGTERM; killing it", server.pid());
    server.kill(SIGKILL);
    server.wait();
}

// cntr's stdout or stderr going away must end the copy, not cntr.
class IgnoredSigpipe {
  public:
    IgnoredSigpipe() { saved_ = ::signal(SIGPIPE, SIG_IGN); }
    IgnoredSigpipe(const IgnoredSigpipe&) = delete;
    IgnoredSigpipe& operator=(const IgnoredSigpipe&) = delete;
    ~IgnoredSigpipe() { (void)::signal(SIGPIPE, saved_); }

  private:
    sighandler_t saved_;
};

std::string env_or(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? v : fallback;
}

}  // namespace

SessionConfig interactive_session_config(const ProcessContext& ctx) {
    SessionConfig cfg;
    cfg.ctx = &ctx;
    cfg.use_pty = ::isatty(STDIN_FILENO) != 0 && ::isatty(STDOUT_FILENO) != 0;
    if (cfg.use_pty) {
        cfg.term_attrs = terminal_attributes(STDIN_FILENO);
        cfg.term_size = terminal_size(STDIN_FILENO);
        cfg.term = env_or("TERM", "xterm");
    }
    cfg.user_shell = env_or("SHELL", "");
    return cfg;
}

int run_session(SessionConfig cfg, ChildProcess* server) {
    const ProcessContext& ctx = *cfg.ctx;
    // Still on the host: the LSM and the procfs to write its label through
    // are the host's, never what the container shows.
    if (!cfg.elevation.lsm) cfg.lsm = prepare_lsm_exec(ctx.lsm_label);
    // The pidfd taken when the container was captured: a reused PID cannot
    // stand in for the container's process.
    Fd container(::fcntl(ctx.pidfd.get(), F_DUPFD_CLOEXEC, 0));
    if (!container) throw_errno("dup the container's pidfd");
    auto [control, child_control] = seqpacket_pair();
    cfg.control_sock = child_control.get();
    warn_about_elevation(cfg.elevation);
    IgnoredSigpipe sigpipe;
    std::optional<StdioRelay> relay;
    if (!cfg.use_pty) {
        relay.emplace();
        cfg.stdio = relay->command_ends();
    }

    // Block before forking so no SIGWINCH/SIGTERM is lost; children unblock.
    BlockedSignals signals{SIGWINCH, SIGTERM, SIGHUP, SIGINT, SIGQUIT};
    ChildProcess session = ChildProcess::fork([&] {
        control.reset();
        return run_session_child(cfg);
    });
    child_control.reset();
    if (relay) relay->close_command_ends();
    if (cfg.server_sock >= 0) ::close(cfg.server_sock);

    Message hello = recv_message(control.get());
    auto finish_server = [&] {
        if (server == nullptr) return;
        if (!cfg.keep_serving) return end_tools_server(*server);
        if (!server->wait_for(kServerExitWait)) {
            log::warn(
                "--keep-serving: cntrfs-server (PID {}) still serves the tools to processes the "
                "session left behind, and so to every process of the container that holds a "
                "path through them; it exits when they let go",
                server->pid());
            server->detach();
        }
    };
    if (hello.eof || (hello.data != "pty" && hello.data != "ready")) {
        int status = session.wait();
        if (relay) relay->drain();
        finish_server();
        // The child reported its error on stderr already.
        return WIFEXITED(status) && WEXITSTATUS(status) != 0 ? WEXITSTATUS(status) : kCntrFailure;
    }

    std::optional<PtyPump> pump;
    std::optional<RawTerminal> raw;
    Fd master;
    if (hello.data == "pty" && !hello.fds.empty()) {
        // Before raw mode, so the line ends where it should.
        if (!cfg.banner.empty()) {
            const std::string line = cfg.banner + "\n";
            [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
        }
        master = std::move(hello.fds.front());
        pump.emplace(master.get());
        raw.emplace(STDIN_FILENO);
        if (auto ws = terminal_size(STDIN_FILENO)) ::ioctl(master.get(), TIOCSWINSZ, &*ws);
    }

    bool container_died = false;
    std::optional<int> status;
    while (!status) {
        std::array<pollfd, 7> p{};
        p[0] = {session.pidfd(), POLLIN, 0};
        p[1] = {container.get(), POLLIN, 0};
        p[2] = {signals.fd(), POLLIN, 0};
        nfds_t n = 3;
        if (pump) {
            p[3] = {master.get(), static_cast<short>(POLLIN | (pump->has_pending() ? POLLOUT : 0)),
                    0};
            p[4] = {pump->wants_input() ? STDIN_FILENO : -1, POLLIN, 0};
            n = 5;
        } else if (relay) {
            auto r = relay->poll_entries();
            std::copy(r.begin(), r.end(), p.begin() + 3);
            n = 7;
        }
        if (::poll(p.data(), n, -1) < 0) {
            if (errno == EINTR) continue;
            throw_errno("poll");
        }
        if (pump) {
            if ((p[3].revents & POLLIN) != 0) pump->copy_output();
            if ((p[3].revents & POLLOUT) != 0) pump->write_master();
            if ((p[4].revents & (POLLIN | POLLHUP)) != 0) pump->read_stdin();
        } else if (relay) {
            relay->handle({p[3], p[4], p[5], p[6]});
        }
        if ((p[2].revents & POLLIN) != 0) {
            signalfd_siginfo si{};
            while (::read(signals.fd(), &si, sizeof(si)) == sizeof(si)) {
                int sig = static_cast<int>(si.ssi_signo);
                if (sig == SIGWINCH && master) {
                    if (auto ws = terminal_size(STDIN_FILENO))
                        ::ioctl(master.get(), TIOCSWINSZ, &*ws);
                } else if (sig == SIGTERM || sig == SIGHUP) {
                    session.kill(sig);
                }
                // SIGINT/SIGQUIT from the terminal also reached the command; cntr waits for it.
            }
        }
        if ((p[1].revents & POLLIN) != 0 && !container_died) {
            container_died = true;
            raw.reset();
            log::error("the container's process {} exited during the session; ending it", ctx.pid);
            status = session.wait_for(kGraceAfterContainerDeath);
            if (!status) {
                session.kill(SIGKILL);
                status = session.wait();
            }
        }
        if ((p[0].revents & POLLIN) != 0 && !status) status = session.wait();
    }
    if (pump) pump->drain();
    if (relay) relay->drain();
    master.reset();
    raw.reset();
    finish_server();
    return container_died ? kCntrFailure : exit_code_from_status(*status);
}

}  // namespace cntr
