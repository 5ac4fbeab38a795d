// A listening Unix socket in the host's /tmp/.X11-unix, for the tests of host
// socket directories: the socket file (and the directory, if the test made it)
// is removed however the test ends.
#pragma once

#include <sys/un.h>

#include <string>

namespace cntr::test {

class HostX11Listener {
  public:
    // Binds /tmp/.X11-unix/NAME, mode 0777, listening with `backlog`; throws
    // std::runtime_error on failure.
    HostX11Listener(const std::string& name, int backlog);
    HostX11Listener(const HostX11Listener&) = delete;
    HostX11Listener& operator=(const HostX11Listener&) = delete;
    ~HostX11Listener();

    [[nodiscard]] int fd() const { return fd_; }
    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] const sockaddr_un& address() const { return addr_; }

  private:
    void release();  // what the destructor does, also for a failed constructor

    std::string dir_ = "/tmp/.X11-unix";
    std::string path_;
    bool made_dir_ = false;
    int fd_ = -1;
    sockaddr_un addr_{};
};

}  // namespace cntr::test
