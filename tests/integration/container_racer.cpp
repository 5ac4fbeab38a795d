// A compromised container's process watching for debug sessions (issue 12,
// row 3). Copied into a test container and started with `docker exec`, so it
// has exactly the container's uid, capabilities and seccomp filter. For
// SECONDS it scans /proc for processes that were not there when it started
// and, for each, tries what the threat model says it may try: open every
// /proc/PID/fd/N, open /proc/PID/root, and ptrace the process.
//
// It creates /racer.ready once it knows the container's own processes and
// stops when /racer.stop exists (or after SECONDS).
// Output, one line each: "SEEN pid" for every new session process, "FD pid n target"
// for every descriptor it could open, "ROOT pid" when /proc/PID/root opened,
// "PTRACE pid" when it could seize the process, "PRIV pid CapEff" when a
// session process it can see holds CAP_SYS_ADMIN (host root's credentials, which
// docker never gives the container: the command must drop them before it is
// visible, not after). Built static (no sanitizer):
// it runs in a busybox container without a libc.
#include <dirent.h>
#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <string_view>

namespace {

// Each finding once: a session process reached on every pass would flood the test's report.
std::set<std::string> reported;
void report(const std::string& line) {
    if (reported.insert(line).second) std::printf("%s\n", line.c_str());
}

std::set<pid_t> current_pids() {
    std::set<pid_t> out;
    DIR* d = ::opendir("/proc");
    if (d == nullptr) return out;
    while (dirent* e = ::readdir(d)) {
        char* end = nullptr;
        long pid = std::strtol(e->d_name, &end, 10);
        if (end != e->d_name && *end == '\0') out.insert(static_cast<pid_t>(pid));
    }
    ::closedir(d);
    return out;
}

// Only the test's sessions, whose command line carries this marker (cntr's
// own before the command's execve, the command's after): the test's own
// `docker exec` probes are not what is under test.
constexpr std::string_view kMarker = "cntr-racer-target";

bool is_target(pid_t pid) {
    int fd = ::open(("/proc/" + std::to_string(pid) + "/cmdline").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof(buf));
    ::close(fd);
    return n > 0 &&
           std::string_view(buf, static_cast<size_t>(n)).find(kMarker) != std::string_view::npos;
}

// CapEff of /proc/PID/status (world-readable, no ptrace check), or 0.
unsigned long long effective_caps(const std::string& base) {
    int fd = ::open((base + "/status").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
    ::close(fd);
    if (n <= 0) return 0;
    buf[n] = '\0';
    const char* line = std::strstr(buf, "\nCapEff:");
    return line == nullptr ? 0 : std::strtoull(line + 9, nullptr, 16);
}

void attack(pid_t pid) {
    const std::string base = "/proc/" + std::to_string(pid);
    constexpr unsigned long long kCapSysAdmin = 1ULL << 21;
    if (const auto caps = effective_caps(base); (caps & kCapSysAdmin) != 0) {
        char hex[32];
        std::snprintf(hex, sizeof(hex), "%016llx", caps);
        report("PRIV " + std::to_string(pid) + " " + hex);
    }
    for (int n = 0; n < 32; ++n) {
        const std::string fd_path = base + "/fd/" + std::to_string(n);
        int fd = ::open(fd_path.c_str(), O_PATH | O_CLOEXEC);
        if (fd < 0) continue;
        char target[512] = {};
        ssize_t len = ::readlink(fd_path.c_str(), target, sizeof(target) - 1);
        report("FD " + std::to_string(pid) + " " + std::to_string(n) + " " +
               (len > 0 ? target : "?"));
        ::close(fd);
    }
    int root = ::open((base + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root >= 0) {
        report("ROOT " + std::to_string(pid));
        ::close(root);
    }
    if (::ptrace(PTRACE_SEIZE, pid, nullptr, nullptr) == 0) {
        report("PTRACE " + std::to_string(pid));
        // Detaching needs a stopped tracee; a tracer that never lets go would
        // hold up the session's reaper until the racer exits.
        ::ptrace(PTRACE_INTERRUPT, pid, nullptr, nullptr);
        int status = 0;
        ::waitpid(pid, &status, __WALL);
        ::ptrace(PTRACE_DETACH, pid, nullptr, nullptr);
    }
}

}  // namespace

int main(int argc, char** argv) {
    const int seconds = argc > 1 ? std::atoi(argv[1]) : 30;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    std::set<pid_t> before = current_pids();  // the container's own, and this racer
    before.insert(::getpid());
    std::set<pid_t> seen;
    ::close(::open("/racer.ready", O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
    while (std::chrono::steady_clock::now() < deadline && ::access("/racer.stop", F_OK) != 0) {
        for (pid_t pid : current_pids()) {
            if (before.contains(pid) || !is_target(pid)) continue;
            if (seen.insert(pid).second) std::printf("SEEN %d\n", pid);
            // Again on every pass while it lives: the window may open later.
            attack(pid);
        }
        std::fflush(stdout);
    }
    return 0;
}
