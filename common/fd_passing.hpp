// Messages with attached descriptors over AF_UNIX SOCK_SEQPACKET sockets.
//
// Every conversation between cntr's processes (attacher, session child,
// cntrfs-server) uses a SEQPACKET socketpair: one send is one message, and a
// peer that crashes is seen as EOF (recv returns 0), never as a hang.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fd.hpp"

namespace cntr {

struct Message {
    std::string data;     // empty with eof set when the peer is gone
    std::vector<Fd> fds;  // descriptors that came with it (SCM_RIGHTS)
    bool eof = false;
};

// A socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC).
std::pair<Fd, Fd> seqpacket_pair();

void send_message(int sock, std::string_view data, std::span<const int> fds = {});
// Receives one message of at most 64 KiB and up to 8 descriptors, retrying on EINTR.
Message recv_message(int sock);

}  // namespace cntr
