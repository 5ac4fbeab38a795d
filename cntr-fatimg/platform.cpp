#include "platform.hpp"

#include <fmt/core.h>
#include <sys/utsname.h>

#include "error.hpp"
#include "text.hpp"

namespace cntr::fatimg {

std::string Platform::str() const {
    return os + "/" + architecture + (variant.empty() ? "" : "/" + variant);
}

Platform host_platform() {
    utsname u{};
    ::uname(&u);
    const std::string m = u.machine;
    // The names Go's GOARCH uses, which the OCI image index adopted.
    if (m == "x86_64") return {"linux", "amd64", ""};
    if (m == "aarch64" || m == "arm64") return {"linux", "arm64", ""};
    if (m == "armv7l" || m == "armv7") return {"linux", "arm", "v7"};
    if (m == "armv6l") return {"linux", "arm", "v6"};
    if (m == "i386" || m == "i686") return {"linux", "386", ""};
    if (m == "ppc64le") return {"linux", "ppc64le", ""};
    if (m == "s390x") return {"linux", "s390x", ""};
    if (m == "riscv64") return {"linux", "riscv64", ""};
    return {"linux", m, ""};
}

Platform parse_platform(const std::string& text) {
    if (text.empty()) return host_platform();
    Platform p;
    std::string parts[3];
    size_t n = 0, pos = 0;
    bool ok = true;
    while (ok) {
        size_t slash = text.find('/', pos);
        std::string part = text.substr(pos, slash == std::string::npos ? slash : slash - pos);
        ok = n < 3 && !part.empty();
        for (char c : part)
            ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-');
        if (ok) parts[n++] = part;
        if (slash == std::string::npos) break;
        pos = slash + 1;
    }
    if (!ok || n < 2)
        throw UserError(fmt::format(
            "--platform \"{}\": expected OS/ARCH[/VARIANT] like linux/amd64 or linux/arm/v7",
            printable(text)));
    return {parts[0], parts[1], parts[2]};
}

bool platform_matches(const Platform& want, const std::string& os, const std::string& arch,
                      const std::string& variant) {
    if (os != want.os || arch != want.architecture) return false;
    if (want.variant.empty()) return true;
    auto norm = [&](const std::string& v) { return arch == "arm64" && v.empty() ? "v8" : v; };
    return norm(variant) == norm(want.variant);
}

}  // namespace cntr::fatimg
