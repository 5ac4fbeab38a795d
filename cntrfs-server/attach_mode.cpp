// Attach mode: `cntrfs-server --root DIR --socket-fd N`, started by `cntr attach`.
//
// cntr has opened /dev/fuse and mounted it (fd=X,rootmode=40000,user_id=0,group_id=0,
// allow_other,default_permissions) inside the debug session's mount namespace, where
// the server cannot see it. The handshake over the AF_UNIX SOCK_SEQPACKET socket N:
//
//   cntr   -> server   "fuse" + SCM_RIGHTS [the mounted /dev/fuse descriptor]
//   server -> cntr     "ready"             (or "error: <message>", then exit 1)
//
// Order matters. The root is opened (O_PATH) before anything else, while the server's
// view of the file system is the one cntr chose. After the descriptor arrives, every
// other inherited descriptor is closed, so nothing of cntr's leaks into the session's
// file system server. libfuse adopts the descriptor as mountpoint "/dev/fd/<fd>"
// without mounting. The server then serves until the kernel aborts the connection -
// which happens when the last mount using it disappears, i.e. when the debug session's
// mount namespace dies, or when cntr ends the session by terminating us (the kernel
// aborts a connection whose last /dev/fuse descriptor closes) - and exits 0. With
// --unprivileged it drops to uid/gid 65534 right after the descriptor is taken over
// (privileges.hpp). EOF on the socket before the message means cntr is gone: exit 1.
#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstring>

#include "error.hpp"
#include "fd_passing.hpp"
#include "fuse_session.hpp"
#include "log.hpp"
#include "privileges.hpp"
#include "serve.hpp"
#include "server_process.hpp"

namespace cntrfs {
namespace {

constexpr unsigned kFuseMajor = 10;
constexpr unsigned kFuseMinor = 229;

cntr::Fd adopt_socket(int fd) {
    int type = 0;
    socklen_t len = sizeof(type);
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) {
        throw cntr::UserError(
            fmt::format("--socket-fd {}: {} (it must be an AF_UNIX "
                        "SOCK_SEQPACKET socket inherited from cntr)",
                        fd, std::strerror(errno)));
    }
    if (type != SOCK_SEQPACKET) {
        throw cntr::UserError(fmt::format("--socket-fd {}: not a SOCK_SEQPACKET socket", fd));
    }
    return cntr::Fd(fd);
}

// The /dev/fuse descriptor of the "fuse" message, checked.
cntr::Fd take_fuse_fd(cntr::Message& msg, int sock) {
    if (msg.eof) {
        throw cntr::UserError(
            fmt::format("--socket-fd {}: the socket was closed before the FUSE descriptor arrived "
                        "(did cntr exit?)",
                        sock));
    }
    if (msg.data != "fuse" || msg.fds.size() != 1) {
        throw cntr::UserError(fmt::format(
            "--socket-fd {}: expected the message \"fuse\" with one descriptor, got \"{}\" "
            "with {}",
            sock, msg.data.substr(0, 64), msg.fds.size()));
    }
    cntr::Fd fuse = std::move(msg.fds[0]);
    struct stat st {};
    if (::fstat(fuse.get(), &st) != 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != kFuseMajor ||
        minor(st.st_rdev) != kFuseMinor) {
        throw cntr::UserError("the descriptor received over --socket-fd is not /dev/fuse");
    }
    return fuse;
}

std::vector<std::string> session_args(const Options& o) {
    std::vector<std::string> args;
    if (o.debug) args.emplace_back("-d");
    for (const auto& opt : o.fuse_options) {
        args.emplace_back("-o");
        args.push_back(opt);
    }
    return args;
}

}  // namespace

int serve_attached(const Options& o) {
    cntr::Fd root = open_root_in_namespaces(o.root, o.setns_fds);
    cntr::Fd sock = adopt_socket(*o.socket_fd);
    try {
        cntr::Message msg = cntr::recv_message(sock.get());
        cntr::Fd fuse = take_fuse_fd(msg, sock.get());
        msg.fds.clear();
        close_other_fds({root.get(), sock.get(), fuse.get()});
        prepare_process();
        // Before FileSystem and the session start threads (privileges.hpp).
        if (o.unprivileged) drop_privileges();

        FileSystem fs(std::move(root), o.fs);
        FuseSession session(fs, session_args(o));
        session.handle_signals(/*interactive=*/false);
        session.mount(fmt::format("/dev/fd/{}", fuse.get()), "the FUSE descriptor");
        fuse.release();  // fuse_session_destroy closes it

        cntr::send_message(sock.get(), "ready");
        sock.reset();
        cntr::log::debug("serving {} on the descriptor from cntr", o.root);
        return exit_code_of_loop(session.loop(o.threads));
    } catch (const std::exception& e) {
        if (sock) {
            try {
                cntr::send_message(sock.get(), fmt::format("error: {}", e.what()));
            } catch (const std::exception&) {
                // cntr is gone; the message on stderr is all that is left
            }
        }
        throw;
    }
}

}  // namespace cntrfs
