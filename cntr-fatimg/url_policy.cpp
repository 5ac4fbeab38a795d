#include "url_policy.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fmt/core.h>

#include <algorithm>
#include <memory>

#include "error.hpp"
#include "text.hpp"

namespace cntr::fatimg {

namespace {

std::string lower(std::string s) { return ascii_lower(std::move(s)); }

bool is_ip_literal(const std::string& host) {
    in_addr a4{};
    in6_addr a6{};
    return ::inet_pton(AF_INET, host.c_str(), &a4) == 1 ||
           ::inet_pton(AF_INET6, host.c_str(), &a6) == 1;
}

// "a.b.c" -> "b.c"; "" when what remains would be a single label (a TLD).
std::string parent_domain(const std::string& host) {
    auto dot = host.find('.');
    if (dot == std::string::npos) return "";
    std::string p = host.substr(dot + 1);
    return p.find('.') == std::string::npos ? "" : p;
}

}  // namespace

std::string host_of(const std::string& hostport) {
    if (hostport.starts_with("[")) {
        auto end = hostport.find(']');
        return end == std::string::npos ? hostport : hostport.substr(1, end - 1);
    }
    auto c = hostport.rfind(':');
    return c == std::string::npos ? hostport : hostport.substr(0, c);
}

bool is_loopback_host(const std::string& host) {
    if (lower(host) == "localhost") return true;
    in_addr a4{};
    if (::inet_pton(AF_INET, host.c_str(), &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
    in6_addr a6{};
    if (::inet_pton(AF_INET6, host.c_str(), &a6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK(&a6)) return true;
        return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
    }
    return false;
}

Url parse_url(const std::string& url, const std::string& what) {
    auto bad = [&](const char* why) {
        return UserError(fmt::format("{}: \"{}\" is not a usable URL ({})", what,
                                     printable(url.substr(0, 200)), why));
    };
    if (!is_printable(url)) throw bad("control characters");
    std::unique_ptr<CURLU, void (*)(CURLU*)> u(curl_url(), curl_url_cleanup);
    if (curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) throw bad("malformed");
    auto part = [&](CURLUPart p, unsigned flags) {
        char* v = nullptr;
        if (curl_url_get(u.get(), p, &v, flags) != CURLUE_OK || !v) return std::string();
        std::string s = v;
        curl_free(v);
        return s;
    };
    Url out;
    out.scheme = lower(part(CURLUPART_SCHEME, 0));
    out.host = lower(part(CURLUPART_HOST, 0));
    out.port = part(CURLUPART_PORT, CURLU_DEFAULT_PORT);
    if (out.host.starts_with("[")) out.host = out.host.substr(1, out.host.size() - 2);
    if (out.scheme != "http" && out.scheme != "https") throw bad("only http and https are used");
    if (out.host.empty()) throw bad("no host");
    return out;
}

Url check_realm(const std::string& realm, const std::string& registry, bool registry_is_http) {
    const std::string what = fmt::format("registry {}: token realm", registry);
    Url u = parse_url(realm, what);
    if (u.scheme == "https") return u;
    if (registry_is_http && is_loopback_host(host_of(registry)) && is_loopback_host(u.host))
        return u;
    throw UserError(
        fmt::format("{} \"{}\" is plain http: tokens and credentials are only fetched over https "
                    "(plain http only for a plain-http registry and realm on the loopback address)",
                    what, printable(realm)));
}

bool realm_may_see_credentials(const Url& realm, const std::string& registry) {
    const std::string reg = lower(host_of(registry));
    if (realm.scheme != "https" && !(is_loopback_host(reg) && is_loopback_host(realm.host)))
        return false;
    if (realm.host == reg) return true;
    // The same host by two loopback spellings is not the same service: no match.
    if (is_ip_literal(reg) || is_ip_literal(realm.host)) return false;
    // docker.io is the registry name of Docker Hub; its API is registry-1.docker.io.
    const std::string api = reg == "docker.io" ? "registry-1.docker.io" : reg;
    const std::string parent = parent_domain(api);
    if (parent.empty()) return false;
    return realm.host == parent || realm.host.ends_with("." + parent);
}

std::map<std::string, std::string> parse_challenge(const std::string& h, std::string& scheme) {
    std::map<std::string, std::string> out;
    auto sp = h.find(' ');
    scheme = h.substr(0, sp);
    scheme = ascii_lower(std::move(scheme));
    if (sp == std::string::npos) return out;
    std::string rest = h.substr(sp + 1);
    size_t i = 0;
    while (i < rest.size()) {
        while (i < rest.size() && (rest[i] == ' ' || rest[i] == ',')) ++i;
        auto eq = rest.find('=', i);
        if (eq == std::string::npos) break;
        std::string key = rest.substr(i, eq - i);
        std::string val;
        i = eq + 1;
        if (i < rest.size() && rest[i] == '"') {
            auto end = rest.find('"', i + 1);
            val = rest.substr(i + 1, end - i - 1);
            i = end == std::string::npos ? rest.size() : end + 1;
        } else {
            auto end = rest.find(',', i);
            val = rest.substr(i, end - i);
            i = end == std::string::npos ? rest.size() : end;
        }
        out[key] = val;
    }
    return out;
}

}  // namespace cntr::fatimg
