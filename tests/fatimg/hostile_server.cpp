#include "hostile_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace cntr::fatimg::test {

namespace {

const char* reason(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 302:
            return "Found";
        case 401:
            return "Unauthorized";
        case 404:
            return "Not Found";
        default:
            return "Whatever";
    }
}

}  // namespace

HostileServer::HostileServer(Handler handler, const std::string& address)
    : handler_(std::move(handler)), address_(address) {
    listen_ = Fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!listen_) throw std::runtime_error("socket");
    int one = 1;
    ::setsockopt(listen_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    if (::inet_pton(AF_INET, address.c_str(), &sa.sin_addr) != 1)
        throw std::runtime_error("bad address " + address);
    if (::bind(listen_.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
        ::listen(listen_.get(), 16) != 0)
        throw std::runtime_error("bind/listen " + address);
    socklen_t len = sizeof sa;
    ::getsockname(listen_.get(), reinterpret_cast<sockaddr*>(&sa), &len);
    port_ = ntohs(sa.sin_port);
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    wake_[0] = Fd(p[0]);
    wake_[1] = Fd(p[1]);
    thread_ = std::thread([this] { serve(); });
}

HostileServer::~HostileServer() {
    stop_ = true;
    [[maybe_unused]] auto r = ::write(wake_[1].get(), "x", 1);
    thread_.join();
    for (auto& w : workers_) w.join();
}

std::string HostileServer::hostport() const { return address_ + ":" + std::to_string(port_); }

std::vector<HttpRequest> HostileServer::requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
}

void HostileServer::serve() {
    while (!stop_) {
        pollfd pf[2] = {{listen_.get(), POLLIN, 0}, {wake_[0].get(), POLLIN, 0}};
        if (::poll(pf, 2, -1) < 0 && errno != EINTR) return;
        if (pf[1].revents) return;
        if (!(pf[0].revents & POLLIN)) continue;
        int fd = ::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        ++connections_;
        int now = ++active_;
        for (int m = max_active_; now > m && !max_active_.compare_exchange_weak(m, now);) {
        }
        workers_.emplace_back([this, fd] {
            Fd conn(fd);
            one_connection(conn.get());
            conn.reset();
            --active_;
        });
    }
}

void HostileServer::one_connection(int fd) {
    std::string buf;
    char chunk[4096];
    // The head, until the blank line; 2 s of silence or a TLS ClientHello ends it.
    while (buf.find("\r\n\r\n") == std::string::npos && buf.size() < (1u << 20)) {
        pollfd pf = {fd, POLLIN, 0};
        if (::poll(&pf, 1, 2000) <= 0) break;
        ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) break;
        buf.append(chunk, static_cast<size_t>(n));
        if (buf[0] == '\x16') break;  // TLS handshake: not for us
    }
    HttpRequest req;
    req.head = buf.substr(0, buf.find("\r\n\r\n"));
    auto line_end = req.head.find("\r\n");
    std::string first = req.head.substr(0, line_end);
    auto sp1 = first.find(' ');
    auto sp2 = first.find(' ', sp1 == std::string::npos ? 0 : sp1 + 1);
    if (sp1 != std::string::npos && sp2 != std::string::npos) {
        req.method = first.substr(0, sp1);
        req.path = first.substr(sp1 + 1, sp2 - sp1 - 1);
    }
    for (size_t pos = line_end; pos != std::string::npos && pos < req.head.size();) {
        size_t start = pos + 2;
        size_t end = req.head.find("\r\n", start);
        std::string line = req.head.substr(start, end == std::string::npos ? end : end - start);
        auto colon = line.find(':');
        if (colon != std::string::npos) {
            std::string name = line.substr(0, colon);
            for (auto& c : name) c = static_cast<char>(::tolower(c));
            auto v = line.find_first_not_of(' ', colon + 1);
            req.headers[name] = v == std::string::npos ? "" : line.substr(v);
        }
        pos = end;
    }
    {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(req);
    }
    if (req.method.empty()) {
        send_all(fd, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
        return;
    }
    handler_(*this, fd, req);
}

bool HostileServer::send_all(int fd, std::string_view data) {
    while (!data.empty()) {
        if (stop_) return false;
        ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        sent_ += static_cast<uint64_t>(n);
        data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
}

bool HostileServer::head(int fd, int status, const std::vector<std::string>& headers) {
    std::string h = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) + "\r\n";
    for (const auto& x : headers) h += x + "\r\n";
    h += "Connection: close\r\n\r\n";
    return send_all(fd, h);
}

bool HostileServer::reply(int fd, int status, const std::vector<std::string>& headers,
                          std::string_view body) {
    std::vector<std::string> hs = headers;
    hs.push_back("Content-Length: " + std::to_string(body.size()));
    return head(fd, status, hs) && send_all(fd, body);
}

bool HostileServer::stream_zeros(int fd, uint64_t n) {
    const std::string zeros(64u << 10, '\0');
    while (n > 0) {
        size_t k = n < zeros.size() ? static_cast<size_t>(n) : zeros.size();
        if (!send_all(fd, std::string_view(zeros).substr(0, k))) return false;
        n -= k;
    }
    return true;
}

}  // namespace cntr::fatimg::test
