#include "run_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <stdexcept>
#include <thread>

namespace cntr::test {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void exec_child(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
}

int decode(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

int remaining_ms(Clock::time_point end) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count();
    return left < 0 ? 0 : static_cast<int>(left);
}

}  // namespace

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    size_t i = 0;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n')) ++i;
    return s.substr(i);
}

ProcessResult run(const std::vector<std::string>& argv, const std::string& input,
                  std::chrono::seconds deadline) {
    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC))
        throw std::runtime_error("pipe2 failed");
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(in[0], 0);
        ::dup2(out[1], 1);
        ::dup2(err[1], 2);
        exec_child(argv);
    }
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    ::fcntl(in[1], F_SETFL, O_NONBLOCK);
    ::signal(SIGPIPE, SIG_IGN);

    ProcessResult r;
    size_t written = 0;
    if (input.empty()) {
        ::close(in[1]);
        in[1] = -1;
    }
    const auto end = Clock::now() + deadline;
    std::array<char, 65536> buf{};
    while (out[0] >= 0 || err[0] >= 0) {
        std::array<pollfd, 3> p{{{out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {in[1], POLLOUT, 0}}};
        int n = ::poll(p.data(), p.size(), remaining_ms(end));
        if (n == 0) {
            r.timed_out = true;
            ::kill(pid, SIGKILL);
            break;
        }
        for (int i = 0; i < 2; ++i) {
            int& fd = i == 0 ? out[0] : err[0];
            if (fd < 0 || (p[i].revents & (POLLIN | POLLHUP)) == 0) continue;
            ssize_t got = ::read(fd, buf.data(), buf.size());
            if (got <= 0) {
                ::close(fd);
                fd = -1;
            } else {
                (i == 0 ? r.out : r.err).append(buf.data(), static_cast<size_t>(got));
            }
        }
        if (in[1] >= 0 && (p[2].revents & (POLLOUT | POLLERR)) != 0) {
            ssize_t w = ::write(in[1], input.data() + written, input.size() - written);
            if (w > 0) written += static_cast<size_t>(w);
            if (w < 0 || written == input.size()) {
                ::close(in[1]);
                in[1] = -1;
            }
        }
    }
    for (int fd : {out[0], err[0], in[1]})
        if (fd >= 0) ::close(fd);
    int status = 0;
    ::waitpid(pid, &status, 0);
    r.exit_code = r.timed_out ? -1 : decode(status);
    return r;
}

ProcessResult run_on_pty(const std::vector<std::string>& argv, winsize size,
                         const std::function<void(int, const std::string&)>& interact,
                         std::chrono::seconds deadline, std::function<void(int)> after_exit) {
    int master = -1;
    pid_t pid = ::forkpty(&master, nullptr, nullptr, &size);
    if (pid < 0) throw std::runtime_error("forkpty failed");
    if (pid == 0) exec_child(argv);
    ProcessResult r;
    const auto end = Clock::now() + deadline;
    std::array<char, 4096> buf{};
    int status = 0;
    bool exited = false;
    for (;;) {
        pollfd p{master, POLLIN, 0};
        if (::poll(&p, 1, 100) > 0) {
            ssize_t got = ::read(master, buf.data(), buf.size());
            if (got <= 0) break;  // EIO: every slave descriptor is closed
            r.out.append(buf.data(), static_cast<size_t>(got));
            if (interact) interact(master, r.out);
            continue;
        }
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            exited = true;
            break;
        }
        if (interact) interact(master, r.out);
        if (remaining_ms(end) == 0) {
            r.timed_out = true;
            ::kill(pid, SIGKILL);
            break;
        }
    }
    if (!exited) ::waitpid(pid, &status, 0);
    if (after_exit) after_exit(master);
    ::close(master);
    r.exit_code = r.timed_out ? -1 : decode(status);
    return r;
}

ProcessResult sh(const std::string& script, std::chrono::seconds deadline) {
    return run({"sh", "-c", script}, {}, deadline);
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds deadline) {
    const auto end = Clock::now() + deadline;
    while (Clock::now() < end) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return pred();
}

}  // namespace cntr::test
