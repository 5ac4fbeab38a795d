#include "error.hpp"

#include <cstring>

namespace cntr {

SysError::SysError(std::string_view what, int err)
    : std::runtime_error(std::string(what) + ": " + std::strerror(err)), err_(err) {}

void throw_errno(std::string_view what) { throw SysError(what, errno); }

}  // namespace cntr
