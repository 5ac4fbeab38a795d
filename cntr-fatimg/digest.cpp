#include "digest.hpp"

#include <fmt/core.h>

#include <array>

#include "error.hpp"

namespace cntr::fatimg {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("OpenSSL: cannot initialise SHA-256");
}

void Sha256::update(const void* data, size_t len) {
    if (EVP_DigestUpdate(ctx_.get(), data, len) != 1)
        throw std::runtime_error("OpenSSL: SHA-256 update failed");
}

std::string Sha256::finish() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx_.get(), md.data(), &len) != 1)
        throw std::runtime_error("OpenSSL: SHA-256 final failed");
    std::string out = "sha256:";
    static constexpr char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < len; ++i) {
        out += hex[md[i] >> 4];
        out += hex[md[i] & 15];
    }
    return out;
}

std::string sha256_of(std::string_view data) {
    Sha256 h;
    h.update(data.data(), data.size());
    return h.finish();
}

bool is_sha256_digest(std::string_view d) {
    if (!d.starts_with("sha256:") || d.size() != 7 + 64) return false;
    for (char c : d.substr(7))
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

std::string digest_hex(std::string_view digest) {
    if (!is_sha256_digest(digest))
        throw UserError(fmt::format(
            "unsupported or malformed digest \"{}\" (expected sha256:<64 hex>)", digest));
    return std::string(digest.substr(7));
}

}  // namespace cntr::fatimg
