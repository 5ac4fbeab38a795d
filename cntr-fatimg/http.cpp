#include "http.hpp"

#include <curl/curl.h>
#include <fmt/core.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <mutex>

namespace cntr::fatimg {

namespace {

struct Transfer {
    HttpResponse* resp = nullptr;
    const Sink* sink = nullptr;
    const HttpOptions* opts = nullptr;
    std::exception_ptr error;
    curl_off_t last_drawn = -1;
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
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
        std::transform(name.begin(), name.end(), name.begin(), ::tolower);
        std::string value = line.substr(colon + 1);
        auto b = value.find_first_not_of(" \t");
        auto e = value.find_last_not_of(" \t\r\n");
        t->resp->headers[name] = b == std::string::npos ? "" : value.substr(b, e - b + 1);
    }
    return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    if (t->sink && *t->sink && t->resp->status / 100 == 2) {
        try {
            (*t->sink)(data, size * n);
        } catch (...) {
            t->error = std::current_exception();
            return 0;  // aborts the transfer
        }
    } else {
        t->resp->body.append(data, size * n);
    }
    return size * n;
}

int on_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
    auto* t = static_cast<Transfer*>(user);
    if (now == t->last_drawn || (now != total && now - t->last_drawn < (1 << 18))) return 0;
    t->last_drawn = now;
    constexpr int width = 30;
    int filled = total > 0 ? static_cast<int>(width * now / total) : 0;
    std::string bar(static_cast<size_t>(filled), '=');
    bar.resize(width, ' ');
    std::string line = total > 0
                           ? fmt::format("\r{} [{}] {:.1f}/{:.1f} MB ", t->opts->progress_label,
                                         bar, now / 1e6, total / 1e6)
                           : fmt::format("\r{} {:.1f} MB ", t->opts->progress_label, now / 1e6);
    [[maybe_unused]] auto r = ::write(STDERR_FILENO, line.data(), line.size());
    return 0;
}

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

HttpResponse http_get(const std::string& url, const std::vector<std::string>& headers,
                      const HttpOptions& opts, const Sink& sink) {
    global_init();
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
    curl_easy_setopt(c.get(), CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c.get(), CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(c.get(), CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c.get(), CURLOPT_CONNECTTIMEOUT, 30L);
    // Abort a stalled transfer (less than 1 byte/s for 60 s) instead of hanging forever.
    curl_easy_setopt(c.get(), CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c.get(), CURLOPT_LOW_SPEED_TIME, 60L);
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
    if (opts.progress) {
        curl_easy_setopt(c.get(), CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c.get(), CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c.get(), CURLOPT_XFERINFODATA, &t);
    }
    CURLcode rc = curl_easy_perform(c.get());
    if (opts.progress) [[maybe_unused]]
        auto r = ::write(STDERR_FILENO, "\n", 1);
    if (t.error) std::rethrow_exception(t.error);
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
