// JSON from registries, archives and the store, parsed with bounds. nlohmann::json
// parses iteratively but copies, compares and dumps recursively: a document nested a
// million levels deep (2 MB of brackets, well under the manifest limit) overflows the
// stack, and dump(2) of a deep one is quadratic in its depth (indentation). Real
// image documents are a few levels deep, so nesting is refused before parsing.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace cntr::fatimg {

// Deepest nesting of arrays/objects accepted anywhere (an OCI config is ~4 deep).
constexpr size_t kMaxJsonDepth = 64;

// Limits of the distribution spec's clients (containers/image iolimits): documents we
// hold in memory whole.
constexpr uint64_t kMaxManifestBytes = 4u << 20;
constexpr uint64_t kMaxConfigBytes = 4u << 20;

// Parses `text`; throws UserError naming `what` for malformed JSON or nesting deeper
// than kMaxJsonDepth.
nlohmann::json parse_json(std::string_view text, const std::string& what);

// j[key] as an unsigned integer (a JSON integer >= 0, not a float such as 6e22);
// throws UserError naming `what` and `key` otherwise or when it is absent.
uint64_t json_uint(const nlohmann::json& j, const char* key, const std::string& what);

// j[key] as a string; throws UserError naming `what` and `key` when absent or not a string.
std::string json_string(const nlohmann::json& j, const char* key, const std::string& what);

}  // namespace cntr::fatimg
