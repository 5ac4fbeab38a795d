#include "http.hpp"

#include <curl/curl.h>
#include <fmt/core.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <mutex>

#include "error.hpp"
#include "text.hpp"

namespace cntr::fatimg {

namespace {

// All response headers together (every redirect included): far above what a registry
// sends, and a bound on what a server streaming header lines can make us keep.
constexpr size_t kMaxHeaderBytes = 256u << 10;

struct Transfer {
    HttpResponse* resp = nullptr;
    const Sink* sink = nullptr;
    const HttpOptions* opts = nullptr;
    std::exception_ptr error;
    size_t header_bytes = 0;
    uint64_t streamed = 0;
};

template <typename... Args>
size_t fail_transfer(Transfer* t, fmt::format_string<Args...> f, Args&&... args) {
    t->error = std::make_exception_ptr(UserError(fmt::format(f, std::forward<Args>(args)...)));
    return 0;  // aborts the transfer
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    t->header_bytes += size * n;
    if (t->header_bytes > kMaxHeaderBytes)
        return fail_transfer(t, "{}: the server sent more than {} KiB of response headers",
                             t->opts->what, kMaxHeaderBytes >> 10);
    std::string line(data, size * n);
    if (line.starts_with("HTTP/")) {
        // A new response (after a redirect or 100): the status is needed before the
        // body arrives, to send 2xx bodies to the sink and keep error bodies.
        t->resp->headers.clear();
        auto sp = line.find(' ');
        if (sp != std::string::npos)
            t->resp->status = std::strtol(line.c_str() + sp + 1, nullptr, 10);
    }
    auto colon = line.find(':');
    if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        name = ascii_lower(std::move(name));
        std::string value = line.substr(colon + 1);
        auto b = value.find_first_not_of(" \t");
        auto e = value.find_last_not_of(" \t\r\n");
        t->resp->headers[name] = b == std::string::npos ? "" : value.substr(b, e - b + 1);
    }
    return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const size_t len = size * n;
    const bool ok = t->resp->status / 100 == 2;
    if (t->sink && *t->sink && ok) {
        t->streamed += len;
        if (t->streamed > t->opts->max_stream)
            return fail_transfer(t, "{}: the server sent more than the {} bytes expected",
                                 t->opts->what, t->opts->max_stream);
        try {
            (*t->sink)(data, len);
        } catch (...) {
            t->error = std::current_exception();
            return 0;  // aborts the transfer
        }
        return len;
    }
    auto& body = t->resp->body;
    if (body.size() + len > t->opts->max_body) {
        if (ok)
            return fail_transfer(t, "{}: the server sent a reply of more than {} KiB (limit)",
                                 t->opts->what, t->opts->max_body >> 10);
        // An error reply: its start is enough to explain it; stop reading the rest.
        body.append(data, t->opts->max_body - body.size());
        t->resp->body_truncated = true;
        return 0;
    }
    body.append(data, len);
    return len;
}

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

void check_request(const std::string& url, const std::vector<std::string>& headers,
                   const HttpOptions& opts) {
    std::string scheme = url.substr(0, url.find(':'));
    scheme = ascii_lower(std::move(scheme));
    if ((scheme != "http" && scheme != "https") || !is_printable(url))
        throw UserError(
            fmt::format("{}: refusing to fetch \"{}\": only http:// and https:// URLs "
                        "are followed",
                        opts.what, printable(url)));
    // A value with CR/LF would add headers of the server's choosing (a token is
    // server-chosen text), one with NUL would cut it.
    for (const auto& h : headers)
        if (!is_printable(h))
            throw UserError(
                fmt::format("{}: refusing to send the request header \"{}\": its value has control "
                            "characters",
                            opts.what, printable(h.substr(0, h.find(':')))));
}

}  // namespace

long low_speed_time() {
    if (const char* e = std::getenv("CNTR_FATIMG_LOW_SPEED_TIME"); e && *e) {
        char* end = nullptr;
        long v = std::strtol(e, &end, 10);
        if (*end == '\0' && v > 0) return v;
        throw UserError(fmt::format("CNTR_FATIMG_LOW_SPEED_TIME=\"{}\" is not a number of seconds",
                                    printable(e)));
    }
    return 30;
}

HttpResponse http_get(const std::string& url, const std::vector<std::string>& headers,
                      const HttpOptions& opts, const Sink& sink) {
    global_init();
    check_request(url, headers, opts);
    HttpResponse resp;
    std::unique_ptr<CURL, void (*)(CURL*)> c(curl_easy_init(), curl_easy_cleanup);
    std::unique_ptr<curl_slist, void (*)(curl_slist*)> hl(nullptr, curl_slist_free_all);
    for (const auto& h : headers) hl.reset(curl_slist_append(hl.release(), h.c_str()));
    Transfer t;
    t.resp = &resp;
    t.sink = &sink;
    t.opts = &opts;
    char errbuf[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, hl.get());
    // Only HTTP(S), for the first request and for every redirect: a registry or token
    // realm must not make us speak gopher/dict/file/ftp/... to anything.
    curl_easy_setopt(c.get(), CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c.get(), CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c.get(), CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c.get(), CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(c.get(), CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c.get(), CURLOPT_CONNECTTIMEOUT, 30L);
    // Abort a stalled or trickling transfer (under 1 KiB/s for 30 s) instead of holding
    // the store lock for as long as the server likes.
    curl_easy_setopt(c.get(), CURLOPT_LOW_SPEED_LIMIT, kLowSpeedBytes);
    curl_easy_setopt(c.get(), CURLOPT_LOW_SPEED_TIME, low_speed_time());
    curl_easy_setopt(c.get(), CURLOPT_USERAGENT, "cntr-fatimg");
    curl_easy_setopt(c.get(), CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c.get(), CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &t);
    if (!opts.unix_socket.empty())
        curl_easy_setopt(c.get(), CURLOPT_UNIX_SOCKET_PATH, opts.unix_socket.c_str());
    if (!opts.tls_verify) {
        curl_easy_setopt(c.get(), CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c.get(), CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (!opts.ca_bundle.empty()) {
        curl_blob blob{const_cast<char*>(opts.ca_bundle.data()), opts.ca_bundle.size(),
                       CURL_BLOB_COPY};
        curl_easy_setopt(c.get(), CURLOPT_CAINFO_BLOB, &blob);
    }
    CURLcode rc = curl_easy_perform(c.get());
    if (t.error) std::rethrow_exception(t.error);
    if (rc == CURLE_WRITE_ERROR && resp.body_truncated) rc = CURLE_OK;  // we cut it on purpose
    resp.curl_code = rc;
    if (rc != CURLE_OK) resp.curl_error = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &resp.status);
    return resp;
}

std::string url_escape(const std::string& s) {
    global_init();
    std::unique_ptr<char, void (*)(void*)> e(curl_escape(s.c_str(), static_cast<int>(s.size())),
                                             curl_free);
    return e ? std::string(e.get()) : s;
}

std::string base64_encode(const std::string& s) {
    std::string out(4 * ((s.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(s.data()),
                            static_cast<int>(s.size()));
    out.resize(static_cast<size_t>(n));
    return out;
}

std::string base64_decode(const std::string& in) {
    std::string s;
    for (char c : in)
        if (c != '\n' && c != '\r' && c != ' ') s += c;
    if (s.empty()) return {};
    std::string out(3 * s.size() / 4 + 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(s.data()),
                            static_cast<int>(s.size()));
    if (n < 0) return {};
    size_t len = static_cast<size_t>(n);
    if (s.ends_with("=="))
        len -= 2;
    else if (s.ends_with("="))
        len -= 1;
    out.resize(len);
    return out;
}

}  // namespace cntr::fatimg
