// Errors that name what failed. A SysError carries errno and a message of the
// form "open /dev/fuse: No such file or directory"; a UserError carries a
// message meant for the person at the terminal, usually with a hint.
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>
#include <string_view>

namespace cntr {

class SysError : public std::runtime_error {
  public:
    SysError(std::string_view what, int err);
    [[nodiscard]] int code() const noexcept { return err_; }

  private:
    int err_;
};

class UserError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Throws SysError(what, errno). Call it right after the failing syscall.
[[noreturn]] void throw_errno(std::string_view what);

// Returns `ret` unless it is -1, in which case throws SysError(what, errno).
template <typename T>
T check(T ret, std::string_view what) {
    if (ret == static_cast<T>(-1)) throw_errno(what);
    return ret;
}

}  // namespace cntr
