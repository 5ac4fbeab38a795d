#include "x11_listener.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace cntr::test {

HostX11Listener::HostX11Listener(const std::string& name, int backlog)
    : path_(dir_ + "/" + name), made_dir_(::mkdir(dir_.c_str(), 01777) == 0) {
    auto fail = [this](const char* what) {
        const std::string msg = std::string(what) + " " + path_ + ": " + std::strerror(errno);
        release();
        throw std::runtime_error(msg);
    };
    ::unlink(path_.c_str());
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) fail("socket");
    addr_.sun_family = AF_UNIX;
    if (path_.size() >= sizeof(addr_.sun_path)) {
        errno = ENAMETOOLONG;
        fail("bind");
    }
    path_.copy(addr_.sun_path, path_.size());
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&addr_), sizeof(addr_)) != 0) fail("bind");
    ::chmod(path_.c_str(), 0777);
    if (::listen(fd_, backlog) != 0) fail("listen");
}

HostX11Listener::~HostX11Listener() { release(); }

void HostX11Listener::release() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    ::unlink(path_.c_str());
    if (made_dir_) ::rmdir(dir_.c_str());
    made_dir_ = false;
}

}  // namespace cntr::test
