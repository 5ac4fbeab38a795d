#include "fd_passing.hpp"

#include <sys/socket.h>

#include <array>
#include <cstring>

#include "error.hpp"

namespace cntr {
namespace {
constexpr size_t kMaxFds = 8;
constexpr size_t kMaxMessage = size_t{64} * 1024;
}  // namespace

std::pair<Fd, Fd> seqpacket_pair() {
    std::array<int, 2> sv{};
    check(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv.data()), "socketpair");
    return {Fd(sv[0]), Fd(sv[1])};
}

void send_message(int sock, std::string_view data, std::span<const int> fds) {
    if (fds.size() > kMaxFds) throw UserError("send_message: too many descriptors");
    // A zero-length SEQPACKET message is indistinguishable from EOF for the peer.
    char nul = '\0';
    iovec iov{.iov_base = data.empty() ? &nul : const_cast<char*>(data.data()),
              .iov_len = data.empty() ? 1 : data.size()};
    alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int) * kMaxFds)> control{};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (!fds.empty()) {
        msg.msg_control = control.data();
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
        cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
        std::memcpy(CMSG_DATA(cmsg), fds.data(), sizeof(int) * fds.size());
    }
    ssize_t n;
    do {
        n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    check(n, "sendmsg");
}

Message recv_message(int sock) {
    std::string buf(kMaxMessage, '\0');
    iovec iov{.iov_base = buf.data(), .iov_len = buf.size()};
    alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int) * kMaxFds)> control{};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    ssize_t n;
    do {
        n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    check(n, "recvmsg");

    Message out;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; ++i) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            out.fds.emplace_back(fd);
        }
    }
    if (n == 0) {
        out.eof = true;
        return out;
    }
    if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0)
        throw UserError("recvmsg: message truncated");
    buf.resize(static_cast<size_t>(n));
    if (buf.size() == 1 && buf[0] == '\0') buf.clear();
    out.data = std::move(buf);
    return out;
}

}  // namespace cntr
