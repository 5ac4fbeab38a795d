#include "reference.hpp"

#include <fmt/core.h>

#include <cctype>
#include <optional>

#include "digest.hpp"
#include "error.hpp"
#include "fs_util.hpp"

namespace cntr::fatimg {

namespace {

constexpr const char* kSyntax =
    "expected [docker://]NAME[:TAG][@sha256:DIGEST], docker-archive:PATH, oci-archive:PATH, "
    "oci:DIR[:TAG] or docker-daemon:NAME[:TAG]";

bool valid_repo_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
           c == '/';
}

Reference parse_docker_name(const std::string& text, const std::string& original) {
    Reference r;
    std::string rest = text;
    if (auto at = rest.find('@'); at != std::string::npos) {
        r.digest = rest.substr(at + 1);
        rest.resize(at);
        if (!is_sha256_digest(r.digest))
            throw UserError(fmt::format("invalid image reference \"{}\": bad digest \"{}\" ({})",
                                        original, r.digest, kSyntax));
    }
    auto slash = rest.find('/');
    std::string first = rest.substr(0, slash);
    if (slash != std::string::npos &&
        (first.find('.') != std::string::npos || first.find(':') != std::string::npos ||
         first == "localhost")) {
        r.registry = first;
        rest = rest.substr(slash + 1);
    } else {
        r.registry = "docker.io";
    }
    if (auto colon = rest.rfind(':'); colon != std::string::npos) {
        r.tag = rest.substr(colon + 1);
        rest.resize(colon);
    }
    if (r.registry == "index.docker.io" || r.registry == "registry-1.docker.io")
        r.registry = "docker.io";
    if (r.registry == "docker.io" && rest.find('/') == std::string::npos) rest = "library/" + rest;
    r.repository = rest;
    if (r.tag.empty() && r.digest.empty()) r.tag = "latest";
    bool ok = !rest.empty() && rest.front() != '/' && rest.back() != '/' &&
              rest.find("//") == std::string::npos && rest.find("..") == std::string::npos;
    for (char c : rest) ok = ok && valid_repo_char(c);
    for (char c : r.tag)
        ok =
            ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-');
    if (!ok || r.tag.size() > 128)
        throw UserError(
            fmt::format("invalid image reference \"{}\" ({}; repository names are "
                        "lower case)",
                        original, kSyntax));
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
            throw UserError(
                fmt::format("invalid image source \"{}\": empty path ({})", text, kSyntax));
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
