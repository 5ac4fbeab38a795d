// A thin libcurl wrapper: one GET, response headers collected, body to a string
// or streamed to a sink. Used for the registry API and for dockerd's Engine API
// on its unix socket.
//
// Every request is bounded, because registries are hostile (docs/tool-images.md):
// only http and https are spoken, for the first request and every redirect (libcurl
// would otherwise follow a registry to gopher://, dict://, file:// ...); header values
// with control bytes are refused before they reach the wire; a body kept in memory
// stops at `max_body`, one streamed to a sink at `max_stream`; a transfer slower than
// the low-speed limit is aborted.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace cntr::fatimg {

// Bodies held in memory (errors, pings, tokens) are small by nature; 64 KiB is far
// above any real one (a JWT is a few KiB) and bounds what a hostile server can make
// us hold.
constexpr size_t kSmallBodyLimit = 64u << 10;

struct HttpOptions {
    bool tls_verify = true;
    std::string ca_bundle;    // PEM data: system store + extra CAs (empty: curl's default)
    std::string unix_socket;  // talk HTTP over this unix socket instead of TCP
    // In-memory bodies (every non-2xx body, and 2xx bodies without a sink): bytes kept.
    // An error body is cut there; a 2xx body beyond it fails the request.
    size_t max_body = kSmallBodyLimit;
    // 2xx bodies given to a sink: more bytes than this fail the request (a blob is
    // never read beyond the size its descriptor declares, which may be 0).
    uint64_t max_stream = UINT64_MAX;
    // What the bounded bytes are, for the error ("blob sha256:... (declared 101 bytes)").
    std::string what = "HTTP request";
};

struct HttpResponse {
    int curl_code = 0;  // CURLcode; 0 = transfer completed
    std::string curl_error;
    long status = 0;
    std::map<std::string, std::string> headers;  // lower-case names, last value wins
    std::string body;                            // unless a sink took it
    bool body_truncated = false;                 // an error body longer than max_body
};

using Sink = std::function<void(const char* data, size_t len)>;

// Performs GET `url` (http or https only). Only 2xx bodies go to `sink` (errors are
// kept in body, cut at max_body). Throws UserError for a header value with control
// bytes, a URL of another protocol, a 2xx body over its budget, or a stalled transfer.
HttpResponse http_get(const std::string& url, const std::vector<std::string>& headers,
                      const HttpOptions& opts, const Sink& sink = nullptr);

// Seconds a transfer may stay below kLowSpeedBytes/s before it is aborted:
// $CNTR_FATIMG_LOW_SPEED_TIME, else 30.
long low_speed_time();
constexpr long kLowSpeedBytes = 1024;

std::string url_escape(const std::string& s);

// Base64 (OpenSSL EVP_EncodeBlock / EVP_DecodeBlock).
std::string base64_encode(const std::string& s);
std::string base64_decode(const std::string& s);

}  // namespace cntr::fatimg
