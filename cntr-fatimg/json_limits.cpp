#include "json_limits.hpp"

#include <fmt/core.h>

#include "error.hpp"
#include "text.hpp"

namespace cntr::fatimg {

namespace {

// Depth of `text` counted over brackets outside strings, stopping past the limit.
void check_depth(std::string_view text, const std::string& what) {
    size_t depth = 0;
    bool in_string = false, escaped = false;
    for (char c : text) {
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > kMaxJsonDepth)
                throw UserError(fmt::format("{} is nested more than {} levels deep; refused", what,
                                            kMaxJsonDepth));
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
}

}  // namespace

nlohmann::json parse_json(std::string_view text, const std::string& what) {
    check_depth(text, what);
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw UserError(fmt::format("{} is not valid JSON: {}", what, printable(e.what())));
    }
}

uint64_t json_uint(const nlohmann::json& j, const char* key, const std::string& what) {
    if (!j.is_object() || !j.contains(key) || !j[key].is_number_unsigned())
        throw UserError(
            fmt::format("{}: \"{}\" is missing or not a non-negative integer", what, key));
    return j[key].get<uint64_t>();
}

std::string json_string(const nlohmann::json& j, const char* key, const std::string& what) {
    if (!j.is_object() || !j.contains(key) || !j[key].is_string())
        throw UserError(fmt::format("{}: \"{}\" is missing or not a string", what, key));
    return j[key].get<std::string>();
}

}  // namespace cntr::fatimg
