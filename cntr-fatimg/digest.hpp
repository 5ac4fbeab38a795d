// SHA-256 content digests ("sha256:<64 hex>") computed with OpenSSL's EVP API.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

namespace cntr::fatimg {

class Sha256 {
  public:
    Sha256();
    void update(const void* data, size_t len);
    // "sha256:<hex>"; call once.
    std::string finish();

  private:
    std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

std::string sha256_of(std::string_view data);

// True for "sha256:" followed by exactly 64 lower-case hex digits.
bool is_sha256_digest(std::string_view digest);

// The hex part of a valid digest; throws UserError naming `digest` otherwise (a
// registry or archive handing us anything else must not pick our file names).
std::string digest_hex(std::string_view digest);

}  // namespace cntr::fatimg
