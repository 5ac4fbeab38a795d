// Importers. Archives (docker save output, OCI archives) are read in one streaming
// pass with libarchive: every regular file goes straight into the staging area as a
// hashed blob, symlinks and hard links are remembered as name -> name. Nothing is
// extracted to disk under its archive name, so a hostile archive has no path to
// write through; the archive's JSON files are then read back from staged blobs.
#include "importers.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "archive_error.hpp"
#include "digest.hpp"
#include "error.hpp"
#include "file_io.hpp"
#include "fs_util.hpp"
#include "http.hpp"
#include "json_limits.hpp"
#include "log.hpp"
#include "text.hpp"

namespace cntr::fatimg {

using json = nlohmann::json;

namespace {

constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";
constexpr const char* kDockerList = "application/vnd.docker.distribution.manifest.list.v2+json";

std::string normalize_member(std::string name) {
    auto p = std::filesystem::path(name).lexically_normal().string();
    while (p.starts_with("./")) p = p.substr(2);
    while (p.starts_with("/")) p = p.substr(1);
    return p;
}

// name -> staged digest of every file in a tar archive.
class ArchiveBlobs {
  public:
    // The archive is a regular file, not followed through a symlink (a FIFO would
    // block us with the store locked); its members are staged within `limits`.
    ArchiveBlobs(const std::string& path, const std::string& what, Staging& staging,
                 const ImageLimits& limits)
        : what_(what), staging_(staging) {
        RegularFile file = open_regular(-1, path, UINT64_MAX, what);
        std::unique_ptr<archive, int (*)(archive*)> a(archive_read_new(), archive_read_free);
        // docker save and OCI archives are plain or gzip tarballs; no other filter (some
        // run external programs).
        archive_read_support_filter_gzip(a.get());
        archive_read_support_filter_zstd(a.get());
        archive_read_support_format_tar(a.get());
        if (archive_read_open_fd(a.get(), file.fd.get(), 1 << 20) != ARCHIVE_OK)
            throw UserError(fmt::format("cannot read {}: {} (is it a tar archive?)", what,
                                        archive_reason(a.get())));
        if (archive_filter_count(a.get()) > 2)
            throw UserError(fmt::format("{} is compressed more than once; refused", what));
        uint64_t entries = 0, bytes = 0;
        archive_entry* e = nullptr;
        std::vector<char> buf(1 << 20);
        for (;;) {
            int r = archive_read_next_header(a.get(), &e);
            if (r == ARCHIVE_EOF) break;
            if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
                throw UserError(fmt::format("{} is not a valid tar archive: {}", what,
                                            archive_reason(a.get())));
            if (++entries > limits.max_entries)
                throw UserError(fmt::format(
                    "{} has more than {} entries; if you trust it, raise the limit with "
                    "--max-image-entries N or CNTR_FATIMG_MAX_IMAGE_ENTRIES=N",
                    what, limits.max_entries));
            const char* n = archive_entry_pathname(e);
            if (!n) continue;
            std::string name = normalize_member(n);
            if (const char* hl = archive_entry_hardlink(e)) {
                links_[name] = normalize_member(hl);
                continue;
            }
            if (archive_entry_filetype(e) == AE_IFLNK) {
                const char* target = archive_entry_symlink(e);  // NULL when empty
                auto dir = std::filesystem::path(name).parent_path();
                links_[name] = normalize_member((dir / (target ? target : "")).string());
                continue;
            }
            if (archive_entry_filetype(e) != AE_IFREG) continue;
            BlobWriter w(staging_, "", what);
            for (;;) {
                la_ssize_t got = archive_read_data(a.get(), buf.data(), buf.size());
                if (got < 0)
                    throw UserError(fmt::format("reading {} in {}: {}", printable(name), what,
                                                archive_reason(a.get())));
                if (got == 0) break;
                bytes += static_cast<uint64_t>(got);
                if (bytes > limits.max_bytes)
                    throw UserError(fmt::format(
                        "{} holds more than {} bytes; if you trust it, raise the limit with "
                        "--max-image-size SIZE or CNTR_FATIMG_MAX_IMAGE_SIZE=SIZE",
                        what, limits.max_bytes));
                w.write(buf.data(), static_cast<size_t>(got));
            }
            files_[name] = w.finish();
        }
    }

    // The staged digest of member `name` (following links); throws naming it if absent.
    std::string digest(const std::string& raw) const {
        std::string name = normalize_member(raw);
        for (int depth = 0; depth < 16; ++depth) {
            if (auto f = files_.find(name); f != files_.end()) return f->second;
            auto l = links_.find(name);
            if (l == links_.end()) break;
            name = l->second;
        }
        throw UserError(
            fmt::format("{} has no file \"{}\" (incomplete or not the expected archive format)",
                        what_, printable(raw)));
    }
    bool has(const std::string& raw) const {
        try {
            digest(raw);
            return true;
        } catch (const UserError&) {
            return false;
        }
    }
    // A JSON member, read whole: bounded like a manifest.
    std::string text(const std::string& name) const {
        RegularFile f = open_regular(-1, staging_.blob_path(digest(name)), kMaxManifestBytes,
                                     what_ + ": " + name);
        return read_regular(f, what_ + ": " + name);
    }

  private:
    std::string what_;
    Staging& staging_;
    std::map<std::string, std::string> files_, links_;
};

bool is_index(const json& j) {
    if (!j.is_object()) return false;
    auto mt = j.contains("mediaType") && j["mediaType"].is_string()
                  ? j["mediaType"].get<std::string>()
                  : "";
    return mt == kOciIndex || mt == kDockerList ||
           (!j.contains("layers") && j.contains("manifests"));
}

// The "manifests" array of an index; throws UserError naming `what` if it is not one.
const json& manifests_of(const json& index, const std::string& what) {
    if (!index.is_object() || !index.contains("manifests") || !index["manifests"].is_array())
        throw UserError(fmt::format("{}: no \"manifests\" array", what));
    return index["manifests"];
}

// Resolves an OCI layout's index.json to an image manifest digest; `fetch(digest,
// size)` stages a blob of at most `size` bytes and returns its path in the staging area.
template <typename Fetch>
std::string resolve_layout(const json& index, const std::string& tag, const std::string& what,
                           Fetch fetch, const Platform& platform) {
    const json* chosen = nullptr;
    std::vector<std::string> tags;
    const json& manifests = manifests_of(index, what);
    for (const auto& m : manifests) {
        std::string name;
        if (m.is_object() && m.contains("annotations") && m["annotations"].is_object()) {
            const json& a = m["annotations"];
            auto it = a.find("org.opencontainers.image.ref.name");
            if (it != a.end() && it->is_string()) name = it->get<std::string>();
        }
        tags.push_back(name);
        if (tag.empty() ? manifests.size() == 1 : name == tag) chosen = &m;
    }
    if (!chosen) {
        std::string list;
        for (const auto& t : tags)
            list += (list.empty() ? "" : ", ") + (t.empty() ? "<untagged>" : printable(t));
        throw UserError(fmt::format(
            "{}: {} (it has: {}); name one as oci:DIR:TAG", what,
            tag.empty() ? "several images and no TAG given" : "no image tagged \"" + tag + "\"",
            list.empty() ? "nothing" : list));
    }
    std::string digest = json_string(*chosen, "digest", what + " index.json entry");
    digest_hex(digest);
    uint64_t size =
        std::min(json_uint(*chosen, "size", what + " index.json entry"), kMaxManifestBytes);
    auto manifest_text = [&](const std::string& d, uint64_t max) {
        std::string p = fetch(d, max);
        return read_regular(open_regular(-1, p, kMaxManifestBytes, what + " " + d), p);
    };
    std::string text = manifest_text(digest, size);
    if (is_index(parse_json(text, what + " " + digest))) {
        PlatformChoice c = pick_platform_manifest(text, what + " " + digest, platform);
        digest = c.digest;
        text = manifest_text(digest, std::min(c.size, kMaxManifestBytes));
    }
    ManifestInfo mi = parse_manifest(text, what + " manifest " + digest);
    fetch(mi.config, mi.config_size);
    for (const auto& l : mi.layers) fetch(l.digest, l.size);
    return digest;
}

}  // namespace

PlatformChoice pick_platform_manifest(const std::string& index_json, const std::string& what,
                                      const Platform& platform) {
    json j = parse_json(index_json, what);
    std::vector<std::string> seen;
    auto str = [](const json& o, const char* k) {
        return o.is_object() && o.contains(k) && o[k].is_string() ? o[k].get<std::string>() : "";
    };
    for (const auto& m : manifests_of(j, what)) {
        const json p = m.is_object() && m.contains("platform") ? m["platform"] : json::object();
        const std::string os = str(p, "os"), arch = str(p, "architecture"),
                          variant = str(p, "variant");
        // Attestation manifests (buildkit) are listed with platform unknown/unknown.
        seen.push_back(printable(os + "/" + arch + (variant.empty() ? "" : "/" + variant)));
        if (platform_matches(platform, os, arch, variant)) {
            PlatformChoice c{json_string(m, "digest", what + " entry"),
                             json_uint(m, "size", what + " entry")};
            digest_hex(c.digest);
            return c;
        }
    }
    std::string list;
    for (const auto& s : seen) list += (list.empty() ? "" : ", ") + s;
    throw UserError(fmt::format(
        "{} has no {} image (it offers: {}); choose one with --platform OS/ARCH[/VARIANT]", what,
        platform.str(), list.empty() ? "none" : list));
}

std::string layer_media_type(const std::string& blob_path) {
    Fd fd = open_fd(blob_path, O_RDONLY);
    std::array<unsigned char, 4> m{};
    ssize_t n = ::read(fd.get(), m.data(), m.size());
    if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
        return "application/vnd.oci.image.layer.v1.tar+gzip";
    if (n >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
        return "application/vnd.oci.image.layer.v1.tar+zstd";
    return "application/vnd.oci.image.layer.v1.tar";
}

std::string stage_oci_dir(const Reference& ref, Staging& staging, const StageOptions& opts) {
    std::string what = "OCI layout " + ref.path;
    Fd dir(::open(ref.path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir)
        throw UserError(
            fmt::format("{}: cannot open the directory: {} (an OCI image layout "
                        "directory holds index.json, oci-layout and blobs/)",
                        what, std::strerror(errno)));
    // Everything inside DIR is opened beneath it without following any symlink, and
    // must be a regular file within its declared size (see open_regular).
    RegularFile idx =
        open_regular(dir.get(), "index.json", kMaxManifestBytes, what + "/index.json");
    json index = parse_json(read_regular(idx, what + "/index.json"), what + "/index.json");
    return resolve_layout(
        index, ref.path_tag, what,
        [&](const std::string& d, uint64_t size) {
            const std::string rel = "blobs/sha256/" + digest_hex(d);
            if (!staging.has(d)) {
                RegularFile f = open_regular(dir.get(), rel, size, what + "/" + rel);
                staging.add_fd(f.fd.get(), d, what, size);
            }
            return staging.blob_path(d);
        },
        opts.platform);
}

std::string stage_oci_archive(const Reference& ref, Staging& staging, const StageOptions& opts) {
    std::string what = "OCI archive " + ref.path;
    ArchiveBlobs blobs(ref.path, what, staging, opts.limits);
    json index = parse_json(blobs.text("index.json"), what + ": index.json");
    return resolve_layout(
        index, "", what,
        [&](const std::string& d, uint64_t size) {
            std::string got = blobs.digest("blobs/sha256/" + digest_hex(d));
            if (got != d)
                throw UserError(
                    fmt::format("digest mismatch for blob {} in {}: its content hashes to {}; "
                                "nothing of this image was stored",
                                d, what, got));
            open_regular(-1, staging.blob_path(d), size, "blob " + d + " in " + what);
            return staging.blob_path(d);
        },
        opts.platform);
}

std::string stage_docker_archive(const std::string& path, const std::string& what, Staging& staging,
                                 const StageOptions& opts) {
    ArchiveBlobs blobs(path, what, staging, opts.limits);
    json manifest = parse_json(blobs.text("manifest.json"), what + ": manifest.json");
    if (!manifest.is_array() || manifest.empty())
        throw UserError(fmt::format("{}: manifest.json lists no image", what));
    if (manifest.size() > 1)
        log::warn("{} holds {} images; importing the first", what, manifest.size());
    const json& img = manifest[0];
    const std::string mwhat = what + ": manifest.json";
    if (!img.is_object() || !img.contains("Layers") || !img["Layers"].is_array())
        throw UserError(fmt::format("{}: the image has no \"Layers\" array", mwhat));
    std::string config = blobs.digest(json_string(img, "Config", mwhat));
    json oci = {{"schemaVersion", 2},
                {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                {"config",
                 {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                  {"digest", config},
                  {"size", std::filesystem::file_size(staging.blob_path(config))}}},
                {"layers", json::array()}};
    for (const auto& l : img["Layers"]) {
        if (!l.is_string()) throw UserError(fmt::format("{}: a layer name is not a string", mwhat));
        std::string d = blobs.digest(l.get<std::string>());
        std::string p = staging.blob_path(d);
        oci["layers"].push_back({{"mediaType", layer_media_type(p)},
                                 {"digest", d},
                                 {"size", std::filesystem::file_size(p)}});
    }
    return staging.add_bytes(oci.dump(), "", what);
}

std::string stage_docker_daemon(const Reference& ref, Staging& staging, const StageOptions& opts) {
    std::string sock = "/var/run/docker.sock";
    if (const char* h = std::getenv("DOCKER_HOST"); h && std::string_view(h).starts_with("unix://"))
        sock = std::string(h).substr(7);
    // `docker save` names: Docker Hub images by their short name.
    std::string name =
        ref.registry == "docker.io" ? ref.repository : ref.registry + "/" + ref.repository;
    if (name.starts_with("library/")) name = name.substr(8);
    if (!ref.tag.empty()) name += ":" + ref.tag;
    if (!ref.digest.empty()) name += "@" + ref.digest;
    std::string what = "docker-daemon:" + name;
    TempDir tmp(staging.dir(), "daemon");
    std::string tar = tmp.path() + "/image.tar";
    {
        Fd out = open_fd(tar, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        HttpOptions opts;
        opts.unix_socket = sock;
        auto resp = http_get(
            "http://localhost/images/" + url_escape(name) + "/get", {}, opts,
            [&](const char* d, size_t n) { write_all(out.get(), std::string_view(d, n)); });
        if (resp.curl_code != 0)
            throw UserError(
                fmt::format("{}: cannot talk to dockerd on {}: {} (is dockerd running? "
                            "set DOCKER_HOST=unix://PATH for another socket)",
                            what, sock, resp.curl_error));
        if (resp.status != 200) {
            std::string msg = resp.body;
            try {
                json j = parse_json(resp.body, "dockerd's reply");
                if (j.is_object() && j.contains("message") && j["message"].is_string())
                    msg = j["message"].get<std::string>();
            } catch (const UserError&) {
            }
            throw UserError(fmt::format(
                "{}: dockerd answered {}: {}{}", what, resp.status, printable(msg),
                resp.status == 404 ? " (see `docker images` for the names dockerd knows)" : ""));
        }
    }
    return stage_docker_archive(tar, what, staging, opts);
}

}  // namespace cntr::fatimg
