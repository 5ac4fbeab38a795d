#include "text.hpp"

#include <fmt/core.h>

#include "error.hpp"

namespace cntr::fatimg {

namespace {

// Length of the valid UTF-8 sequence at s[i] that encodes a printable code point,
// or 0 (control byte, C1 control, malformed, overlong or surrogate).
size_t printable_len(std::string_view s, size_t i) {
    auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = b(i);
    if (c >= 0x20 && c < 0x7f) return 1;
    if (c < 0xc2 || c > 0xf4) return 0;  // control, DEL, continuation, overlong lead, > U+10FFFF
    size_t n = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    if (i + n > s.size()) return 0;
    for (size_t k = 1; k < n; ++k)
        if ((b(i + k) & 0xc0) != 0x80) return 0;
    if (n == 2 && c == 0xc2 && b(i + 1) < 0xa0) return 0;   // C1 controls U+0080..U+009F
    if (n == 3 && c == 0xe0 && b(i + 1) < 0xa0) return 0;   // overlong
    if (n == 3 && c == 0xed && b(i + 1) >= 0xa0) return 0;  // surrogates
    if (n == 4 && c == 0xf0 && b(i + 1) < 0x90) return 0;   // overlong
    if (n == 4 && c == 0xf4 && b(i + 1) >= 0x90) return 0;  // > U+10FFFF
    return n;
}

}  // namespace

std::string printable(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        size_t n = printable_len(s, i);
        if (n == 0) {
            out += fmt::format("\\x{:02x}", static_cast<unsigned char>(s[i]));
            ++i;
        } else {
            out.append(s.substr(i, n));
            i += n;
        }
    }
    return out;
}

std::string ascii_lower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

bool is_printable(std::string_view s) {
    for (size_t i = 0; i < s.size();) {
        size_t n = printable_len(s, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

uint64_t parse_size(const std::string& s, const std::string& what) {
    size_t digits = 0;
    while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
    const std::string unit = s.substr(digits);
    int shift = unit.empty()  ? 0
                : unit == "K" ? 10
                : unit == "M" ? 20
                : unit == "G" ? 30
                : unit == "T" ? 40
                              : -1;
    uint64_t v = 0;
    bool ok = digits > 0 && digits <= 15 && shift >= 0;
    for (size_t i = 0; ok && i < digits; ++i) v = v * 10 + static_cast<uint64_t>(s[i] - '0');
    if (!ok || (v << shift) >> shift != v)
        throw UserError(
            fmt::format("{}: \"{}\" is not a size (a number, optionally followed "
                        "by K, M, G or T)",
                        what, printable(s)));
    return v << shift;
}

}  // namespace cntr::fatimg
