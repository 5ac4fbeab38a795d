#include "tools_server.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "error.hpp"
#include "log.hpp"

namespace cntr {

std::string cntrfs_server_path() {
    if (const char* env = std::getenv("CNTR_CNTRFS_SERVER"); env != nullptr && *env != '\0')
        return env;
    std::error_code ec;
    auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        auto candidate = self.parent_path() / "cntrfs-server";
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    throw UserError("cannot find cntrfs-server next to cntr (" + self.parent_path().string() +
                    "); install both together or set CNTR_CNTRFS_SERVER to its path");
}

ChildProcess start_tools_server(const std::string& root, Fd sock) {
    const std::string path = cntrfs_server_path();
    return ChildProcess::fork([&] {
        // Its own session: Ctrl-C on the user's terminal must not kill the
        // filesystem under the running command.
        ::setsid();
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        check(::dup2(sock.get(), 3), "dup2");
        Fd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
        if (null) {
            ::dup2(null.get(), STDIN_FILENO);
            ::dup2(null.get(), STDOUT_FILENO);
        }
        ::close_range(4, ~0U, 0);
        std::vector<std::string> args = {"cntrfs-server", "--root", root, "--socket-fd", "3"};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(path.c_str(), argv.data());
        log::error("cannot start {}: {}", path, std::strerror(errno));
        return 125;
    });
}

}  // namespace cntr
