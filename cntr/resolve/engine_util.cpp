#include "engine_util.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>

#include "child_process.hpp"
#include "error.hpp"
#include "fd.hpp"
#include "log.hpp"

namespace cntr {

std::optional<std::string> find_program(const std::string& program) {
    if (program.find('/') != std::string::npos)
        return ::access(program.c_str(), X_OK) == 0 ? std::optional(program) : std::nullopt;
    const char* env = std::getenv("PATH");
    std::string path = env != nullptr ? env : "";
    path += ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    std::stringstream ss(path);
    std::string dir;
    while (std::getline(ss, dir, ':')) {
        if (dir.empty()) continue;
        std::string candidate = dir;
        candidate += "/";
        candidate += program;
        struct stat st {};
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
            ::access(candidate.c_str(), X_OK) == 0)
            return candidate;
    }
    return std::nullopt;
}

namespace {

std::pair<Fd, Fd> make_pipe() {
    std::array<int, 2> fds{};
    check(::pipe2(fds.data(), O_CLOEXEC), "pipe2");
    return {Fd(fds[0]), Fd(fds[1])};
}

[[noreturn]] void exec_child(const std::string& path, const std::vector<std::string>& argv,
                             const std::optional<RunAs>& as, int out, int err) {
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    if (as) {
        // A rootless engine's CLI must run as its user: it finds its store
        // through HOME and XDG_RUNTIME_DIR, and refuses root's.
        if (::setgroups(0, nullptr) != 0 && ::geteuid() == 0) _exit(126);
        if (::getegid() != as->gid && ::setresgid(as->gid, as->gid, as->gid) != 0) _exit(126);
        if (::geteuid() != as->uid && ::setresuid(as->uid, as->uid, as->uid) != 0) _exit(126);
        ::setenv("HOME", as->home.c_str(), 1);
        const std::string runtime = "/run/user/" + std::to_string(as->uid);
        struct stat st {};
        if (::stat(runtime.c_str(), &st) == 0 && st.st_uid == as->uid)
            ::setenv("XDG_RUNTIME_DIR", runtime.c_str(), 1);
        else
            ::unsetenv("XDG_RUNTIME_DIR");
        if (passwd* pw = ::getpwuid(as->uid)) {
            ::setenv("USER", pw->pw_name, 1);
            ::setenv("LOGNAME", pw->pw_name, 1);
        }
    }
    std::vector<char*> cargv;
    cargv.reserve(argv.size() + 1);
    for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    ::execv(path.c_str(), cargv.data());
    _exit(127);
}

}  // namespace

ToolResult run_tool(const std::vector<std::string>& argv, const std::optional<RunAs>& as,
                    std::chrono::milliseconds deadline) {
    auto path = find_program(argv.at(0));
    if (!path) throw UserError(argv[0] + " is not installed (not found on PATH)");
    // Named variables, not structured bindings: a lambda captures these.
    auto out_pipe = make_pipe();
    auto err_pipe = make_pipe();
    Fd& out_r = out_pipe.first;
    Fd& out_w = out_pipe.second;
    Fd& err_r = err_pipe.first;
    Fd& err_w = err_pipe.second;
    ChildProcess child =
        ChildProcess::fork([&]() -> int { exec_child(*path, argv, as, out_w.get(), err_w.get()); });
    out_w.reset();
    err_w.reset();

    ToolResult result;
    const auto until = std::chrono::steady_clock::now() + deadline;
    std::array<pollfd, 2> pfds{{{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}}};
    int open_fds = 2;
    std::array<char, 65536> buf{};
    while (open_fds > 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            until - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            child.kill(SIGKILL);
            throw UserError(argv[0] + " did not answer within " +
                            std::to_string(deadline.count() / 1000) + " s; is the engine hung?");
        }
        int n = ::poll(pfds.data(), pfds.size(), static_cast<int>(left.count()));
        if (n < 0 && errno == EINTR) continue;
        check(n, "poll on " + argv[0] + " output");
        for (size_t i = 0; i < pfds.size(); ++i) {
            if (pfds[i].fd < 0 || pfds[i].revents == 0) continue;
            ssize_t r = ::read(pfds[i].fd, buf.data(), buf.size());
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) {
                pfds[i].fd = -1;
                --open_fds;
                continue;
            }
            (i == 0 ? result.out : result.err).append(buf.data(), static_cast<size_t>(r));
        }
    }
    result.exit_code = exit_code_from_status(child.wait());
    log::debug("ran {} -> exit {}", argv[0], result.exit_code);
    return result;
}

std::string tool_output(const std::vector<std::string>& argv, const std::optional<RunAs>& as) {
    ToolResult r = run_tool(argv, as);
    if (r.exit_code != 0) {
        std::string cmd;
        for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
        std::string err = r.err;
        while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
        throw UserError("'" + cmd + "' failed (exit " + std::to_string(r.exit_code) +
                        "): " + (err.empty() ? "no message" : err));
    }
    return r.out;
}

namespace {
size_t append_body(char* data, size_t size, size_t nmemb, void* userdata) {
    static_cast<std::string*>(userdata)->append(data, size * nmemb);
    return size * nmemb;
}
}  // namespace

HttpResponse http_get_unix(const std::string& socket, const std::string& path) {
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl) throw UserError("cannot initialise libcurl");
    const std::string url = "http://localhost" + path;
    HttpResponse resp;
    curl_easy_setopt(curl.get(), CURLOPT_UNIX_SOCKET_PATH, socket.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, append_body);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &resp.body);
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(curl.get());
    if (rc == CURLE_COULDNT_CONNECT) {
        long err = 0;
        curl_easy_getinfo(curl.get(), CURLINFO_OS_ERRNO, &err);
        resp.connect_errno = static_cast<int>(err);
        log::debug("nothing listens on {}: {}", socket, std::strerror(resp.connect_errno));
        return resp;
    }
    if (rc != CURLE_OK)
        throw UserError("request to " + socket + " failed: " + curl_easy_strerror(rc));
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &resp.status);
    return resp;
}

std::string url_escape(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            constexpr char kHex[] = "0123456789ABCDEF";
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

bool is_socket(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

std::string cannot_connect(const std::string& socket, int err, const std::string& daemon) {
    std::string why = err != 0 ? std::strerror(err) : "nothing answers";
    if (!why.empty()) why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
    std::string next =
        err == EACCES || err == EPERM ? "run cntr as root (sudo)" : "is " + daemon + " running?";
    return "cannot connect to " + socket + ": " + why + " - " + next;
}

bool path_exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

std::optional<RunAs> invoking_user() {
    uid_t uid = ::getuid();
    if (uid == 0) {
        const char* sudo_uid = std::getenv("SUDO_UID");
        if (sudo_uid == nullptr || *sudo_uid == '\0') return std::nullopt;
        uid = static_cast<uid_t>(std::strtoul(sudo_uid, nullptr, 10));
        if (uid == 0) return std::nullopt;
    }
    passwd* pw = ::getpwuid(uid);
    if (pw == nullptr) return std::nullopt;
    return RunAs{uid, pw->pw_gid, pw->pw_dir};
}

std::vector<std::string> split_words(const std::string& line) {
    std::vector<std::string> out;
    std::istringstream ss(line);
    std::string w;
    while (ss >> w) out.push_back(w);
    return out;
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream ss(text);
    std::string l;
    while (std::getline(ss, l))
        if (!l.empty()) out.push_back(l);
    return out;
}

}  // namespace cntr
