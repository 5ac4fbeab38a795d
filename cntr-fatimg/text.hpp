// Text from hostile sources (entry names, registry replies, JSON strings) on its way
// to a terminal or a log: control bytes become visible escapes, so an image cannot
// move the cursor, retitle the window or hide part of an error.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cntr::fatimg {

// `s` with every C0/C1 control byte, DEL and byte outside valid UTF-8 written as
// \xHH (tab and newline included: one message stays one line). Valid printable
// UTF-8 (file names in any language) is kept.
std::string printable(std::string_view s);

// `s` with A-Z lowered and every other byte kept (::tolower of a byte >= 0x80 in a
// plain char is undefined, and locale-dependent besides).
std::string ascii_lower(std::string s);

// True when `s` has no byte that printable() would escape (headers, tokens).
bool is_printable(std::string_view s);

// "1234", "512K", "4M", "32G", "1T" (powers of 1024) -> bytes; throws UserError
// naming `what` for anything else.
uint64_t parse_size(const std::string& s, const std::string& what);

}  // namespace cntr::fatimg
