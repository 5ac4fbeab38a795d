// Image platforms (os/architecture[/variant]) as the OCI image index names them, and
// the choice of one image from an index: the host's platform unless --platform says
// otherwise.
#pragma once

#include <string>

namespace cntr::fatimg {

struct Platform {
    std::string os, architecture, variant;  // variant may be empty: any
    [[nodiscard]] std::string str() const;  // "linux/arm64/v8"
};

// The platform of this machine in OCI terms (uname -m: x86_64 -> amd64, aarch64 ->
// arm64, armv7l -> arm/v7, ...).
Platform host_platform();

// "os/arch[/variant]"; an empty text is host_platform(). Throws UserError otherwise.
Platform parse_platform(const std::string& text);

// Whether an index entry of `os`/`arch`/`variant` serves `want` (arm64's variant v8
// is also written as none).
bool platform_matches(const Platform& want, const std::string& os, const std::string& arch,
                      const std::string& variant);

}  // namespace cntr::fatimg
