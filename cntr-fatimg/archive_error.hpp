// libarchive's reason for a failure, as text a message can hold.
#pragma once

#include <archive.h>

#include <string>

#include "text.hpp"

namespace cntr::fatimg {

// archive_error_string() is NULL when libarchive fails without saying why (a gzip
// stream cut inside its trailer does): `fallback` then says what is known.
inline std::string archive_reason(archive* a, const char* fallback = "no reason given") {
    const char* s = archive_error_string(a);
    return s ? printable(s) : fallback;
}

}  // namespace cntr::fatimg
