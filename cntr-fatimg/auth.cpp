#include "auth.hpp"

#include <fmt/core.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cred_helper.hpp"
#include "error.hpp"
#include "file_io.hpp"
#include "fs_util.hpp"
#include "http.hpp"
#include "json_limits.hpp"
#include "log.hpp"

namespace cntr::fatimg {

namespace {

std::optional<Credentials> split_creds(const std::string& s, const std::string& origin) {
    auto colon = s.find(':');
    if (colon == std::string::npos || colon == 0)
        throw UserError(fmt::format("credentials from {} must look like USER:PASSWORD", origin));
    return Credentials{s.substr(0, colon), s.substr(colon + 1), origin};
}

// The keys a registry may be recorded under (docker writes Docker Hub as its v1 URL).
std::vector<std::string> keys_for(const std::string& registry) {
    std::vector<std::string> keys = {registry, "https://" + registry, "http://" + registry};
    if (registry == "docker.io")
        keys.insert(keys.end(),
                    {"https://index.docker.io/v1/", "index.docker.io", "registry-1.docker.io"});
    return keys;
}

std::optional<Credentials> from_helper(const std::string& helper, const std::string& registry,
                                       const std::string& path) {
    // Docker Hub's credentials are stored under its v1 URL; others under HOST[:PORT].
    const std::string server = registry == "docker.io" ? "https://index.docker.io/v1/" : registry;
    auto c = credential_helper_get(helper, server);
    if (!c) return std::nullopt;
    return Credentials{
        c->user, c->secret,
        fmt::format("credential helper docker-credential-{} named in {}", helper, path)};
}

// Docker's order (docker/cli, configfile): the registry's own credHelpers entry, then
// credsStore, then the file's auths; a helper without an entry for the registry
// passes on to the next.
std::optional<Credentials> from_file(const std::string& path, const std::string& registry) {
    if (!path_exists(path)) return std::nullopt;
    nlohmann::json j;
    try {
        j = parse_json(read_file(path), "auth file " + path);
        if (!j.is_object()) throw UserError("not a JSON object");
    } catch (const std::exception& e) {
        log::warn("ignoring unreadable auth file {}: {}", path, e.what());
        return std::nullopt;
    }
    const auto keys = keys_for(registry);
    auto str = [](const nlohmann::json& o, const std::string& k) {
        return o.is_object() && o.contains(k) && o[k].is_string() ? o[k].get<std::string>()
                                                                  : std::string();
    };
    if (j.contains("credHelpers"))
        for (const auto& k : keys)
            if (std::string h = str(j["credHelpers"], k); !h.empty())
                if (auto c = from_helper(h, registry, path)) return c;
    if (std::string store = str(j, "credsStore"); !store.empty())
        if (auto c = from_helper(store, registry, path)) return c;
    if (!j.contains("auths")) return std::nullopt;
    for (const auto& k : keys) {
        std::string enc = j["auths"].contains(k) ? str(j["auths"][k], "auth") : "";
        if (enc.empty()) continue;
        return split_creds(base64_decode(enc), path);
    }
    return std::nullopt;
}

}  // namespace

std::optional<Credentials> find_credentials(const std::string& registry,
                                            const std::optional<std::string>& creds) {
    if (creds) return split_creds(*creds, "--creds");
    std::vector<std::string> files;
    if (const char* f = std::getenv("REGISTRY_AUTH_FILE"); f && *f) files.emplace_back(f);
    if (const char* x = std::getenv("XDG_RUNTIME_DIR"); x && *x)
        files.push_back(std::string(x) + "/containers/auth.json");
    if (const char* d = std::getenv("DOCKER_CONFIG"); d && *d)
        files.push_back(std::string(d) + "/config.json");
    if (const char* h = std::getenv("HOME"); h && *h)
        files.push_back(std::string(h) + "/.docker/config.json");
    for (const auto& f : files)
        if (auto c = from_file(f, registry)) return c;
    return std::nullopt;
}

std::string ca_bundle_for(const std::string& registry) {
    std::vector<std::string> roots = {"/etc/docker/certs.d", "/etc/containers/certs.d"};
    if (const char* env = std::getenv("CNTR_CERTS_DIRS"); env && *env) {
        roots.clear();
        std::string s = env;
        for (size_t pos = 0; pos <= s.size();) {
            size_t next = s.find(':', pos);
            if (next == std::string::npos) next = s.size();
            if (next > pos) roots.push_back(s.substr(pos, next - pos));
            pos = next + 1;
        }
    }
    std::string extra;
    for (const auto& r : roots) {
        std::error_code ec;
        std::string dir = r + "/" + registry;
        for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
            if (e.path().extension() == ".crt" && e.path().filename() != "client.cert") {
                log::debug("trusting CA {} for {}", e.path().string(), registry);
                extra += read_file(e.path().string()) + "\n";
            }
        }
    }
    if (extra.empty()) return {};
    for (const char* sys :
         {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"}) {
        if (path_exists(sys)) return read_file(sys) + "\n" + extra;
    }
    return extra;
}

}  // namespace cntr::fatimg
