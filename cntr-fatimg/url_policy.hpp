// Which hosts and URLs a registry may send us to, and which of them may see the
// user's credentials. Decided on parsed addresses and URLs, never on text prefixes
// (a host named "127.evil.test" is not the loopback address).
#pragma once

#include <map>
#include <string>

namespace cntr::fatimg {

// The host part of "host[:port]" / "[v6]:port", brackets removed.
std::string host_of(const std::string& hostport);

// True for an IPv4 address in 127.0.0.0/8, the IPv6 address ::1 (or ::ffff:127.x.y.z),
// and the name "localhost", which libcurl (>= 7.78) resolves to the loopback address
// itself, without asking DNS or /etc/hosts.
bool is_loopback_host(const std::string& host);

struct Url {
    std::string scheme;  // lower case
    std::string host;    // lower case, IPv6 without brackets
    std::string port;    // as given, or the scheme's default
};
// Parses an absolute http(s) URL; throws UserError naming `what` otherwise.
Url parse_url(const std::string& url, const std::string& what);

// The token realm a registry's Bearer challenge names, checked before it is fetched:
// https, or http when the registry itself is plain HTTP on the loopback address
// (a test or local registry) and the realm is on the loopback address too.
// Throws UserError naming the registry otherwise.
Url check_realm(const std::string& realm, const std::string& registry, bool registry_is_http);

// Whether the user's credentials for `registry` may be sent to `realm`: the realm
// is the registry's own host (any port), or a host of the same parent domain
// (registry-1.docker.io -> auth.docker.io, registry.gitlab.com -> gitlab.com), and
// over https unless both are loopback. Elsewhere the token is asked for anonymously.
bool realm_may_see_credentials(const Url& realm, const std::string& registry);

// A WWW-Authenticate header: `scheme` (lower case) and its parameters
// (Bearer realm="...",service="...",scope="..."). Unterminated quotes end the header.
std::map<std::string, std::string> parse_challenge(const std::string& header, std::string& scheme);

}  // namespace cntr::fatimg
