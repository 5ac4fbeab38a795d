// Registry client (OCI distribution spec, pull side) on libcurl.
//
// Flow: GET /v2/ to learn the scheme and the auth challenge; on
//   "WWW-Authenticate: Bearer realm=R,service=S" fetch a token from
//   R?service=S&scope=repository:REPO:pull (with basic credentials if we have any and
//   R belongs to the registry,
//   anonymously otherwise), on "Basic" send the credentials on every request;
// GET /v2/REPO/manifests/REF accepting OCI and docker schema 2 manifests and
// indexes/lists (an index is resolved to the platform asked for -- the host's unless
// --platform says otherwise -- and fetched by digest);
// GET /v2/REPO/blobs/DIGEST for the config and each layer, hashed while streaming
// to the staging area (BlobWriter), so a blob is verified before anything uses it.
// Layers are fetched by up to kParallelBlobs transfers at once: one TCP stream is
// often held back by its window while the others fill the link, and hashing and
// writing of one overlaps the network wait of another.
//
// Scheme: HTTPS always, except that a registry on the loopback address
// (localhost, 127.0.0.0/8, ::1: parsed, see url_policy.hpp) or one used with
// --tls-verify=false is retried over plain HTTP when the TLS handshake fails because
// the server speaks plain HTTP -- the same rule as docker's default "insecure
// registry" list.
//
// Everything the registry sends is bounded (http.hpp): manifests 4 MiB, a blob its
// declared size, tokens and errors 64 KiB, JSON 64 levels deep; the token realm must
// be https (url_policy.hpp) and only sees the user's credentials when it belongs to
// the registry.
#include "registry.hpp"

#include <curl/curl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "auth.hpp"
#include "digest.hpp"
#include "error.hpp"
#include "http.hpp"
#include "importers.hpp"
#include "json_limits.hpp"
#include "log.hpp"
#include "progress.hpp"
#include "text.hpp"
#include "url_policy.hpp"

namespace cntr::fatimg {

using json = nlohmann::json;

namespace {

// Concurrent blob transfers of one pull: enough to fill a link that one stream
// cannot, few enough not to look like abuse to a registry (docker pulls 3 at a time).
constexpr size_t kParallelBlobs = 3;

constexpr const char* kAccept =
    "Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

class Registry {
  public:
    Registry(const Reference& ref, const StoreConfig& cfg)
        : ref_(ref), creds_(find_credentials(ref.registry, cfg.creds)) {
        opts_.tls_verify = cfg.tls_verify.value_or(true);
        if (opts_.tls_verify) opts_.ca_bundle = ca_bundle_for(ref.registry);
        opts_.what = "registry " + ref_.registry;
        connect();
    }

    std::pair<std::string, std::string> manifest(const std::string& tag_or_digest) {
        // The distribution spec lets registries refuse manifests over 4 MiB; we stop
        // reading there, so a hostile registry cannot make us hold an unbounded document.
        std::string body;
        HttpOptions o = opts_;
        o.max_stream = kMaxManifestBytes;
        o.what = fmt::format("registry {}: manifest {} of {} (limit 4 MiB)", ref_.registry,
                             tag_or_digest, ref_.name());
        auto r = get(
            "/manifests/" + tag_or_digest, {kAccept},
            [&](const char* data, size_t n) { body.append(data, n); }, &o);
        if (r.status == 404)
            throw UserError(
                fmt::format("image {} not found in registry {} (manifest {} unknown): check "
                            "the name and tag",
                            ref_.name(), ref_.registry, tag_or_digest));
        expect_ok(r, "manifest " + tag_or_digest);
        std::string digest = sha256_of(body);
        // By tag there is no digest of our own to check against; the registry's
        // Docker-Content-Digest header still catches a manifest corrupted in its storage.
        std::string expected = tag_or_digest.starts_with("sha256:") ? tag_or_digest : "";
        if (expected.empty()) {
            auto h = r.headers.find("docker-content-digest");
            if (h != r.headers.end() && h->second.starts_with("sha256:")) expected = h->second;
        }
        if (!expected.empty() && digest != expected)
            throw UserError(
                fmt::format("digest mismatch for manifest {} of {}: its content hashes to {}; "
                            "nothing of this image was stored",
                            expected, ref_.name(), digest));
        return {body, digest};
    }

    // `size` is the size the manifest declares: not one byte more is read. Safe to
    // call from several threads at once (each its own transfer and BlobWriter).
    // `stop` set by another thread ends this transfer early.
    void blob(const std::string& digest, uint64_t size, bool layer, Staging& staging,
              PullProgress& progress, const std::atomic<bool>& stop) {
        BlobWriter w(staging, digest, ref_.name(), size);
        HttpOptions o = opts_;
        o.max_stream = size;
        o.what = fmt::format("registry {}: blob {} of {} (declared {} bytes)", ref_.registry,
                             digest, ref_.name(), size);
        auto r = get(
            "/blobs/" + digest, {},
            [&](const char* d, size_t n) {
                if (stop) throw UserError("stopped: another download failed");
                w.write(d, n);
                progress.add_bytes(n);
            },
            &o);
        if (r.status == 404)
            throw UserError(fmt::format("registry {} has no blob {} for {} (image incomplete?)",
                                        ref_.registry, digest, ref_.name()));
        expect_ok(r, "blob " + digest);
        w.finish();
        progress.blob_done((layer ? "layer " : "config ") + digest.substr(0, 19), size, layer);
    }

  private:
    std::string url(const std::string& path) const {
        return base_ + "/v2/" + ref_.repository + path;
    }

    HttpResponse raw_get(const std::string& u, std::vector<std::string> headers,
                         const Sink& sink = nullptr, const HttpOptions* o = nullptr) {
        {
            std::lock_guard<std::mutex> lock(auth_mu_);
            if (!auth_header_.empty()) headers.push_back(auth_header_);
        }
        return http_get(u, headers, o ? *o : opts_, sink);
    }

    HttpResponse get(const std::string& path, std::vector<std::string> headers,
                     const Sink& sink = nullptr, const HttpOptions* o = nullptr) {
        auto r = raw_get(url(path), headers, sink, o);
        transport_check(r);
        bool retry = false;
        {
            // Parallel blob downloads may all meet the first 401; one authenticates.
            std::lock_guard<std::mutex> lock(auth_mu_);
            if (r.status == 401 && !auth_tried_) {
                authenticate(r);
                retry = true;
            }
        }
        if (retry) {
            r = raw_get(url(path), headers, sink, o);
            transport_check(r);
        }
        if (r.status == 401) deny(r);
        return r;
    }

    void connect() {
        std::string host = ref_.api_host();
        base_ = "https://" + host;
        auto r = http_get(base_ + "/v2/", {}, opts_);
        if (r.curl_code == CURLE_SSL_CONNECT_ERROR &&
            (is_loopback_host(host_of(host)) || !opts_.tls_verify)) {
            auto plain = http_get("http://" + host + "/v2/", {}, opts_);
            if (plain.curl_code == 0 && plain.status != 0) {
                log::debug("{} speaks plain HTTP; using it (loopback or --tls-verify=false)", host);
                base_ = "http://" + host;
                plain_http_ = true;
                r = plain;
            }
        }
        transport_check(r);
        if (r.status == 401) authenticate(r);
    }

    void transport_check(const HttpResponse& r) const {
        if (r.curl_code == 0) return;
        std::string host = ref_.registry;
        if (r.curl_code == CURLE_PEER_FAILED_VERIFICATION ||
            r.curl_code == CURLE_SSL_CACERT_BADFILE || r.curl_code == CURLE_SSL_CONNECT_ERROR ||
            r.curl_code == CURLE_SSL_CERTPROBLEM)
            throw UserError(fmt::format(
                "TLS connection to registry {} failed: {}. If the registry uses a private CA, put "
                "its "
                "certificate in /etc/docker/certs.d/{}/ca.crt or "
                "/etc/containers/certs.d/{}/ca.crt; "
                "to skip verification for a registry you trust, pass --tls-verify=false",
                host, r.curl_error, host, host));
        if (r.curl_code == CURLE_OPERATION_TIMEDOUT)
            throw UserError(fmt::format(
                "registry {} ({}) is too slow: {} (less than {} bytes/s for {} s aborts a "
                "transfer; CNTR_FATIMG_LOW_SPEED_TIME=SECONDS allows longer stalls)",
                host, ref_.api_host(), r.curl_error, kLowSpeedBytes, low_speed_time()));
        throw UserError(
            fmt::format("cannot reach registry {} ({}): {}", host, ref_.api_host(), r.curl_error));
    }

    [[noreturn]] void deny(const HttpResponse&) const {
        if (creds_ && creds_sent_)
            throw UserError(
                fmt::format("registry {} rejected the credentials of user \"{}\" (from {}) for {} "
                            "(HTTP 401): check "
                            "the user name and password",
                            ref_.registry, creds_->user, creds_->origin, ref_.name()));
        throw UserError(
            fmt::format("registry {} requires authentication for {} (HTTP 401): pass --creds "
                        "USER:PASSWORD, or log in "
                        "with `skopeo login {}` / `docker login {}`",
                        ref_.registry, ref_.name(), ref_.registry, ref_.registry));
    }

    void authenticate(const HttpResponse& challenge) {
        auth_tried_ = true;
        std::string scheme;
        auto it = challenge.headers.find("www-authenticate");
        if (it == challenge.headers.end()) deny(challenge);
        auto params = parse_challenge(it->second, scheme);
        std::string basic =
            creds_ ? "Authorization: Basic " + base64_encode(creds_->user + ":" + creds_->password)
                   : "";
        if (scheme == "basic") {
            if (!creds_) deny(challenge);
            auth_header_ = basic;
            return;
        }
        if (scheme != "bearer" || params["realm"].empty())
            throw UserError(fmt::format("registry {} asks for unsupported authentication \"{}\"",
                                        ref_.registry, printable(it->second)));
        const std::string realm = params["realm"];
        Url realm_url = check_realm(realm, ref_.registry, plain_http_);
        std::string u = realm;
        u += (u.find('?') == std::string::npos ? "?" : "&");
        if (!params["service"].empty()) u += "service=" + url_escape(params["service"]) + "&";
        u += "scope=" + url_escape("repository:" + ref_.repository + ":pull");
        std::vector<std::string> h;
        if (creds_ && realm_may_see_credentials(realm_url, ref_.registry)) {
            h.push_back(basic);
        } else if (creds_) {
            creds_sent_ = false;
            log::warn(
                "registry {} sends for tokens to {}, which is not its own host: the credentials "
                "from {} are not sent there, the token is asked for anonymously",
                ref_.registry, printable(realm_url.host), creds_->origin);
        }
        HttpOptions o = opts_;
        o.what = fmt::format("token server {} of registry {}", printable(realm), ref_.registry);
        auto r = http_get(u, h, o);
        transport_check(r);
        if (r.status == 401 || r.status == 403) deny(r);
        if (r.status != 200)
            throw UserError(fmt::format("{} answered HTTP {}: {}", o.what, r.status,
                                        printable(r.body.substr(0, 200))));
        auto j = parse_json(r.body, o.what + ": reply");
        std::string token;
        for (const char* k : {"token", "access_token"})
            if (token.empty() && j.is_object() && j.contains(k) && j[k].is_string())
                token = j[k].get<std::string>();
        // RFC 6750 b64token: the token goes into a header, so nothing else is accepted.
        bool ok = !token.empty();
        for (char c : token)
            ok = ok && (std::isalnum(static_cast<unsigned char>(c)) ||
                        std::string_view("-._~+/=").find(c) != std::string_view::npos);
        if (!ok)
            throw UserError(
                fmt::format("{} sent no usable token (empty, or characters other than "
                            "those of RFC 6750's b64token)",
                            o.what));
        auth_header_ = "Authorization: Bearer " + token;
    }

    void expect_ok(const HttpResponse& r, const std::string& what) const {
        if (r.status / 100 == 2) return;
        throw UserError(fmt::format("registry {} answered HTTP {} for {} of {}: {}", ref_.registry,
                                    r.status, what, ref_.name(), printable(r.body.substr(0, 300))));
    }

    Reference ref_;
    std::optional<Credentials> creds_;
    HttpOptions opts_;
    std::mutex auth_mu_;  // auth_header_ and auth_tried_, with parallel downloads
    std::string base_;
    std::string auth_header_;
    bool auth_tried_ = false;
    bool plain_http_ = false;
    bool creds_sent_ = true;  // false when the realm was not trusted with them
};

std::pair<std::string, std::string> resolve(Registry& reg, const Reference& ref,
                                            const Platform& platform) {
    auto [body, digest] = reg.manifest(ref.digest.empty() ? ref.tag : ref.digest);
    json j = parse_json(body, fmt::format("manifest {} of {}", digest, ref.name()));
    if (j.is_object() && j.contains("manifests")) {
        PlatformChoice c =
            pick_platform_manifest(body, "image index " + digest + " of " + ref.name(), platform);
        return reg.manifest(c.digest);
    }
    return {body, digest};
}

}  // namespace

std::string stage_registry_image(const Reference& ref, const StoreConfig& cfg, const Store& store,
                                 Staging& staging, const StageOptions& opts) {
    Registry reg(ref, cfg);
    auto [body, digest] = resolve(reg, ref, opts.platform);
    ManifestInfo m = parse_manifest(body, "manifest " + digest + " of " + ref.name());
    staging.add_bytes(body, digest, ref.name());
    struct Want {
        std::string digest;
        uint64_t size;
        bool layer;
    };
    std::vector<Want> wanted;
    if (!store.has_blob(m.config)) wanted.push_back({m.config, m.config_size, false});
    for (const auto& l : m.layers) {
        if (store.has_blob(l.digest)) {
            log::debug("layer {} already in the store; not downloaded", l.digest);
            continue;
        }
        bool dup = false;  // an image may list one layer twice
        for (const auto& w : wanted) dup = dup || w.digest == l.digest;
        if (!dup) wanted.push_back({l.digest, l.size, true});
    }
    uint64_t total = 0;
    size_t layers = 0;
    for (const auto& w : wanted) {
        total += w.size;
        layers += w.layer ? 1 : 0;
    }
    PullProgress progress(cfg.progress, ref.name(), layers, total);

    // A few workers take the next blob in manifest order; the first failure stops
    // the others (their transfers end at their next chunk) and is the one reported.
    std::atomic<size_t> next{0};
    std::atomic<bool> stop{false};
    std::mutex err_mu;
    std::exception_ptr first_error;
    auto worker = [&] {
        for (size_t i; !stop && (i = next++) < wanted.size();) {
            try {
                reg.blob(wanted[i].digest, wanted[i].size, wanted[i].layer, staging, progress,
                         stop);
            } catch (...) {
                std::lock_guard<std::mutex> lock(err_mu);
                if (!first_error && !stop) first_error = std::current_exception();
                stop = true;
            }
        }
    };
    const size_t n = std::min(kParallelBlobs, wanted.size());
    std::vector<std::jthread> threads;
    for (size_t i = 1; i < n; ++i) threads.emplace_back(worker);
    worker();
    threads.clear();  // joins
    if (first_error) std::rethrow_exception(first_error);
    return digest;
}

std::string resolve_registry_digest(const Reference& ref, const StoreConfig& cfg,
                                    const Platform& platform) {
    Registry reg(ref, cfg);
    return resolve(reg, ref, platform).second;
}

}  // namespace cntr::fatimg
