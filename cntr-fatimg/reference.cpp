#include "reference.hpp"

#include <arpa/inet.h>
#include <fmt/core.h>

#include <cctype>
#include <optional>

#include "digest.hpp"
#include "error.hpp"
#include "fs_util.hpp"
#include "text.hpp"

namespace cntr::fatimg {

namespace {

constexpr const char* kSyntax =
    "expected [docker://]NAME[:TAG][@sha256:DIGEST], docker-archive:PATH, oci-archive:PATH, "
    "oci:DIR[:TAG] or docker-daemon:NAME[:TAG]";

// The grammar of the distribution project's reference package
// (github.com/distribution/reference, regexp.go), which docker, podman and skopeo
// share. A registry name ends up in a URL and a repository in its path: anything
// outside this grammar ("?", "#", "..", "%", spaces) could rewrite the request.
//   domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
//   domain           := (domain-component ("." domain-component)* | "[" IPv6 "]") [":" port]
//   path-component   := [a-z0-9]+ (("." | "_" | "__" | "-"+) [a-z0-9]+)*
//   tag              := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
bool alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool valid_domain_component(std::string_view c) {
    if (c.empty() || c.size() > 63 || !alnum(c.front()) || !alnum(c.back())) return false;
    for (char ch : c)
        if (!alnum(ch) && ch != '-') return false;
    return true;
}

bool valid_domain(const std::string& d) {
    std::string host = d, port;
    if (d.starts_with("[")) {
        auto end = d.find(']');
        if (end == std::string::npos) return false;
        host = d.substr(1, end - 1);
        in6_addr a{};
        if (::inet_pton(AF_INET6, host.c_str(), &a) != 1) return false;
        std::string rest = d.substr(end + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return false;
            port = rest.substr(1);
            if (port.empty()) return false;
        }
    } else {
        if (auto c = d.find(':'); c != std::string::npos) {
            host = d.substr(0, c);
            port = d.substr(c + 1);
            if (port.empty()) return false;
        }
        size_t pos = 0;
        for (;;) {
            size_t dot = host.find('.', pos);
            if (!valid_domain_component(std::string_view(host).substr(
                    pos, dot == std::string::npos ? std::string::npos : dot - pos)))
                return false;
            if (dot == std::string::npos) break;
            pos = dot + 1;
        }
    }
    if (!port.empty()) {
        if (port.size() > 5) return false;
        for (char c : port)
            if (c < '0' || c > '9') return false;
        long p = std::stol(port);
        if (p < 1 || p > 65535) return false;
    }
    return true;
}

bool valid_path_component(std::string_view c) {
    if (c.empty() || !lower_alnum(c.front()) || !lower_alnum(c.back())) return false;
    for (size_t i = 0; i < c.size();) {
        if (lower_alnum(c[i])) {
            ++i;
            continue;
        }
        // A separator: ".", "_", "__" or a run of "-", between alphanumerics.
        size_t j = i;
        while (j < c.size() && !lower_alnum(c[j])) ++j;
        std::string_view sep = c.substr(i, j - i);
        bool dashes = sep.find_first_not_of('-') == std::string_view::npos;
        if (!(sep == "." || sep == "_" || sep == "__" || dashes)) return false;
        i = j;
    }
    return true;
}

bool valid_tag(const std::string& t) {
    if (t.empty() || t.size() > 128 || !(alnum(t.front()) || t.front() == '_')) return false;
    for (char c : t)
        if (!(alnum(c) || c == '_' || c == '.' || c == '-')) return false;
    return true;
}

Reference parse_docker_name(const std::string& text, const std::string& original) {
    auto invalid = [&](const std::string& why) {
        return UserError(fmt::format("invalid image reference \"{}\": {} ({})", printable(original),
                                     why, kSyntax));
    };
    Reference r;
    std::string rest = text;
    if (auto at = rest.find('@'); at != std::string::npos) {
        r.digest = rest.substr(at + 1);
        rest.resize(at);
        if (!is_sha256_digest(r.digest))
            throw invalid(fmt::format("bad digest \"{}\"", printable(r.digest)));
    }
    auto slash = rest.find('/');
    std::string first = rest.substr(0, slash);
    // As docker decides: the first component is a registry when it has a "." or a ":"
    // or is "localhost".
    if (slash != std::string::npos &&
        (first.find('.') != std::string::npos || first.find(':') != std::string::npos ||
         first == "localhost")) {
        if (!valid_domain(first))
            throw invalid(fmt::format("\"{}\" is not a registry HOST[:PORT]", printable(first)));
        r.registry = first;
        rest = rest.substr(slash + 1);
    } else {
        r.registry = "docker.io";
    }
    auto last_slash = rest.rfind('/');
    if (auto colon = rest.rfind(':');
        colon != std::string::npos && (last_slash == std::string::npos || colon > last_slash)) {
        r.tag = rest.substr(colon + 1);
        rest.resize(colon);
        if (!valid_tag(r.tag))
            throw invalid(r.tag.empty() ? "empty tag after \":\""
                                        : fmt::format("bad tag \"{}\"", printable(r.tag)));
    }
    if (r.registry == "index.docker.io" || r.registry == "registry-1.docker.io")
        r.registry = "docker.io";
    if (r.registry == "docker.io" && rest.find('/') == std::string::npos) rest = "library/" + rest;
    r.repository = rest;
    if (r.tag.empty() && r.digest.empty()) r.tag = "latest";
    bool ok = !rest.empty() && r.registry.size() + 1 + rest.size() <= 255;
    for (size_t pos = 0; ok;) {
        size_t next = rest.find('/', pos);
        ok = valid_path_component(std::string_view(rest).substr(
            pos, next == std::string::npos ? std::string::npos : next - pos));
        if (next == std::string::npos) break;
        pos = next + 1;
    }
    if (!ok)
        throw invalid(
            "repository names are lower-case words separated by \"/\", \".\", \"_\", "
            "\"__\" or \"-\"");
    return r;
}

}  // namespace

std::string Reference::name() const {
    std::string s = registry + "/" + repository;
    if (!tag.empty()) s += ":" + tag;
    if (!digest.empty()) s += "@" + digest;
    return s;
}

std::string Reference::key() const {
    if (transport == Transport::docker_daemon) return name();
    return source();
}

std::string Reference::source() const {
    switch (transport) {
        case Transport::docker:
            return name();
        case Transport::docker_daemon:
            return "docker-daemon:" + name();
        case Transport::docker_archive:
            return "docker-archive:" + path;
        case Transport::oci_archive:
            return "oci-archive:" + path;
        case Transport::oci:
            return "oci:" + path + (path_tag.empty() ? "" : ":" + path_tag);
    }
    return name();
}

std::string Reference::api_host() const {
    return registry == "docker.io" ? "registry-1.docker.io" : registry;
}

Reference parse_reference(const std::string& text) {
    auto strip = [&](std::string_view prefix) -> std::optional<std::string> {
        if (text.starts_with(prefix)) return text.substr(prefix.size());
        return std::nullopt;
    };
    auto need_path = [&](const std::string& p) {
        if (p.empty())
            throw UserError(fmt::format("invalid image source \"{}\": empty path ({})",
                                        printable(text), kSyntax));
        return absolute_path(p);
    };
    Reference r;
    if (auto s = strip("docker://")) return parse_docker_name(*s, text);
    if (auto s = strip("docker-daemon:")) {
        r = parse_docker_name(*s, text);
        r.transport = Transport::docker_daemon;
        return r;
    }
    if (auto s = strip("docker-archive:")) {
        r.transport = Transport::docker_archive;
        r.path = need_path(*s);
        return r;
    }
    if (auto s = strip("oci-archive:")) {
        r.transport = Transport::oci_archive;
        r.path = need_path(*s);
        return r;
    }
    if (auto s = strip("oci:")) {
        r.transport = Transport::oci;
        std::string p = *s;
        auto colon = p.rfind(':');
        if (colon != std::string::npos && p.find('/', colon) == std::string::npos) {
            r.path_tag = p.substr(colon + 1);
            p.resize(colon);
        }
        r.path = need_path(p);
        return r;
    }
    if (text.empty()) throw UserError(fmt::format("empty image reference ({})", kSyntax));
    return parse_docker_name(text, text);
}

}  // namespace cntr::fatimg
