#include "cred_helper.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "child_process.hpp"
#include "error.hpp"
#include "file_io.hpp"
#include "json_limits.hpp"
#include "text.hpp"

namespace cntr::fatimg {

namespace {

constexpr auto kHelperTimeout = std::chrono::seconds(30);
constexpr size_t kMaxHelperOutput = 64u << 10;

Fd pipe_end(int fds[2], int which) { return Fd(fds[which]); }

}  // namespace

std::optional<HelperCredentials> credential_helper_get(const std::string& helper,
                                                       const std::string& server) {
    // The name becomes part of a program name looked up in $PATH: no paths.
    bool ok = !helper.empty();
    for (char c : helper)
        ok =
            ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
    if (!ok)
        throw UserError(
            fmt::format("credential helper name \"{}\" is not a plain name", printable(helper)));
    const std::string program = "docker-credential-" + helper;
    int in[2], out[2];
    check(::pipe2(in, O_CLOEXEC), "pipe");
    Fd in_r = pipe_end(in, 0), in_w = pipe_end(in, 1);
    check(::pipe2(out, O_CLOEXEC), "pipe");
    Fd out_r = pipe_end(out, 0), out_w = pipe_end(out, 1);
    ChildProcess child = ChildProcess::fork([&] {
        if (::dup2(in_r.get(), STDIN_FILENO) < 0 || ::dup2(out_w.get(), STDOUT_FILENO) < 0)
            return 126;
        ::execlp(program.c_str(), program.c_str(), "get", static_cast<char*>(nullptr));
        return errno == ENOENT ? 127 : 126;
    });
    in_r.reset();
    out_w.reset();
    try {
        write_all(in_w.get(), server);
    } catch (const SysError&) {
        // A helper that exits without reading its input: its status says why.
    }
    in_w.reset();

    std::string output;
    const auto deadline = std::chrono::steady_clock::now() + kHelperTimeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd pf{out_r.get(), POLLIN, 0};
        int r = left.count() > 0 ? ::poll(&pf, 1, static_cast<int>(left.count())) : 0;
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0)
            throw UserError(fmt::format("credential helper {} did not answer within {} s", program,
                                        kHelperTimeout.count()));
        char buf[4096];
        ssize_t n = ::read(out_r.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        output.append(buf, static_cast<size_t>(n));
        if (output.size() > kMaxHelperOutput)
            throw UserError(fmt::format("credential helper {} wrote more than {} KiB", program,
                                        kMaxHelperOutput >> 10));
    }
    auto status = child.wait_for(std::chrono::duration_cast<std::chrono::milliseconds>(
        std::max(deadline - std::chrono::steady_clock::now(),
                 std::chrono::steady_clock::duration(std::chrono::milliseconds(100)))));
    if (!status)
        throw UserError(fmt::format("credential helper {} did not exit within {} s", program,
                                    kHelperTimeout.count()));
    const int code = exit_code_from_status(*status);
    if (code == 127)
        throw UserError(fmt::format(
            "credential helper {} is configured (credHelpers/credsStore of the docker config) "
            "but not found in $PATH",
            program));
    if (code != 0) {
        // The protocol's "not found" answer: no credentials for this server.
        if (output.find("credentials not found") != std::string::npos) return std::nullopt;
        throw UserError(fmt::format("credential helper {} failed (exit {}): {}", program, code,
                                    printable(output.substr(0, 200))));
    }
    auto j = parse_json(output, "the answer of credential helper " + program);
    HelperCredentials c{json_string(j, "Username", program), json_string(j, "Secret", program)};
    if (c.user == "<token>")
        throw UserError(fmt::format(
            "credential helper {} holds an identity token for {}, which cntr-fatimg cannot use; "
            "log in with a user name and password, or pass --creds",
            program, printable(server)));
    return c;
}

}  // namespace cntr::fatimg
