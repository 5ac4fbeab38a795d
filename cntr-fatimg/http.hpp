// A thin libcurl wrapper: one GET, response headers collected, body to a string
// or streamed to a sink. Used for the registry API and for dockerd's Engine API
// on its unix socket.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace cntr::fatimg {

struct HttpOptions {
    bool tls_verify = true;
    std::string ca_bundle;    // PEM data: system store + extra CAs (empty: curl's default)
    std::string unix_socket;  // talk HTTP over this unix socket instead of TCP
    bool progress = false;    // draw a progress bar on stderr
    std::string progress_label;
};

struct HttpResponse {
    int curl_code = 0;  // CURLcode; 0 = transfer completed
    std::string curl_error;
    long status = 0;
    std::map<std::string, std::string> headers;  // lower-case names, last value wins
    std::string body;                            // unless a sink took it
};

using Sink = std::function<void(const char* data, size_t len)>;

// Performs GET `url`. Only 2xx bodies go to `sink` (errors are kept in body).
HttpResponse http_get(const std::string& url, const std::vector<std::string>& headers,
                      const HttpOptions& opts, const Sink& sink = nullptr);

std::string url_escape(const std::string& s);

// Base64 (OpenSSL EVP_EncodeBlock / EVP_DecodeBlock).
std::string base64_encode(const std::string& s);
std::string base64_decode(const std::string& s);

}  // namespace cntr::fatimg
