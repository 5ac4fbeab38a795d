// A real HTTP/1.1 peer for the hostile-registry tests: a thread with a listening TCP
// socket on a loopback address (port chosen by the kernel) that answers every
// request with whatever the test's handler writes: a Bearer challenge naming
// gopher://, a blob longer than its descriptor, a 2 B/s trickle. It records what the
// client sent (request heads, connections) and how many body bytes the client
// accepted, so a test can show what the client did and did not do.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "fd.hpp"

namespace cntr::fatimg::test {

struct HttpRequest {
    std::string method, path;                    // path as sent, query included
    std::map<std::string, std::string> headers;  // lower-case names
    std::string head;                            // the raw request head
};

class HostileServer {
  public:
    // Called for each request, on a thread of its connection; writes the response to
    // `fd` (with the helpers below). The connection is closed after each response.
    using Handler = std::function<void(HostileServer&, int fd, const HttpRequest&)>;

    explicit HostileServer(Handler handler, const std::string& address = "127.0.0.1");
    ~HostileServer();
    HostileServer(const HostileServer&) = delete;
    HostileServer& operator=(const HostileServer&) = delete;

    [[nodiscard]] std::string hostport() const;  // "127.0.0.1:PORT"
    [[nodiscard]] std::vector<HttpRequest> requests() const;
    [[nodiscard]] int connections() const { return connections_; }
    // Connections open at once: now, and the most there ever were.
    [[nodiscard]] int active() const { return active_; }
    [[nodiscard]] int max_active() const { return max_active_; }
    // Body bytes the peer took (what send() accepted), over all responses.
    [[nodiscard]] uint64_t bytes_sent() const { return sent_; }
    [[nodiscard]] bool stopping() const { return stop_; }

    // Helpers for handlers. Each returns false once the client has gone away.
    bool send_all(int fd, std::string_view data);
    bool reply(int fd, int status, const std::vector<std::string>& headers, std::string_view body);
    // Status line and headers only ("Connection: close" added): the body follows.
    bool head(int fd, int status, const std::vector<std::string>& headers);
    // Streams `n` zero bytes in 64 KiB chunks.
    bool stream_zeros(int fd, uint64_t n);

  private:
    void serve();
    void one_connection(int fd);

    Handler handler_;
    std::string address_;
    uint16_t port_ = 0;
    Fd listen_;
    Fd wake_[2];
    std::atomic<bool> stop_{false};
    std::atomic<int> connections_{0}, active_{0}, max_active_{0};
    std::atomic<uint64_t> sent_{0};
    mutable std::mutex mu_;
    std::vector<HttpRequest> requests_;
    std::thread thread_;
    std::vector<std::thread> workers_;  // one per connection, joined on destruction
};

}  // namespace cntr::fatimg::test
