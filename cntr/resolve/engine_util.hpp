// What the engine resolvers share: running an engine's CLI with a deadline
// (optionally as the invoking user, for rootless engines), GET requests on an
// engine's Unix socket, and who "the invoking user" is under sudo.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace cntr {

struct ToolResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// A user to run a CLI as (rootless engines), with the environment it expects.
struct RunAs {
    uid_t uid;
    gid_t gid;
    std::string home;
};

// Full path of `program` on PATH (or the usual sbin/bin directories, which
// sudo's secure_path may hide); nullopt when it is not installed.
std::optional<std::string> find_program(const std::string& program);

// Runs argv (argv[0] looked up with find_program) with stdin from /dev/null,
// capturing stdout and stderr; kills it after `deadline`. Throws UserError
// when it cannot be started or times out.
ToolResult run_tool(const std::vector<std::string>& argv, const std::optional<RunAs>& as = {},
                    std::chrono::milliseconds deadline = std::chrono::seconds(20));

// The same, but a non-zero exit is a UserError quoting the tool's stderr.
std::string tool_output(const std::vector<std::string>& argv, const std::optional<RunAs>& as = {});

struct HttpResponse {
    long status = 0;  // 0: nothing listens on the socket
    std::string body;
    int connect_errno = 0;  // why not, when status is 0 (ECONNREFUSED, EACCES, ENOENT)
};
// GET http://localhost<path> over the Unix socket `socket`.
HttpResponse http_get_unix(const std::string& socket, const std::string& path);
std::string url_escape(const std::string& s);

bool is_socket(const std::string& path);

// "cannot connect to SOCKET: connection refused - is DAEMON running?", the cause
// of an engine that is installed but cannot be asked, with the next step.
std::string cannot_connect(const std::string& socket, int err, const std::string& daemon);
bool path_exists(const std::string& path);

// The human behind this cntr: SUDO_UID's user under sudo (when we are root),
// otherwise the real uid. nullopt for plain root without sudo.
std::optional<RunAs> invoking_user();

// Splits on whitespace.
std::vector<std::string> split_words(const std::string& line);
std::vector<std::string> split_lines(const std::string& text);

}  // namespace cntr
