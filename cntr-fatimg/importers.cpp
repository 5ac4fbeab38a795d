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

#include "digest.hpp"
#include "error.hpp"
#include "file_io.hpp"
#include "fs_util.hpp"
#include "http.hpp"
#include "log.hpp"

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
    ArchiveBlobs(const std::string& path, const std::string& what, Staging& staging)
        : what_(what), staging_(staging) {
        std::unique_ptr<archive, int (*)(archive*)> a(archive_read_new(), archive_read_free);
        archive_read_support_filter_all(a.get());
        archive_read_support_format_tar(a.get());
        if (archive_read_open_filename(a.get(), path.c_str(), 1 << 20) != ARCHIVE_OK)
            throw UserError(fmt::format("cannot read {}: {} (is it a tar archive?)", what,
                                        archive_error_string(a.get())));
        archive_entry* e = nullptr;
        std::vector<char> buf(1 << 20);
        for (;;) {
            int r = archive_read_next_header(a.get(), &e);
            if (r == ARCHIVE_EOF) break;
            if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
                throw UserError(fmt::format("{} is not a valid tar archive: {}", what,
                                            archive_error_string(a.get())));
            const char* n = archive_entry_pathname(e);
            if (!n) continue;
            std::string name = normalize_member(n);
            if (const char* hl = archive_entry_hardlink(e)) {
                links_[name] = normalize_member(hl);
                continue;
            }
            if (archive_entry_filetype(e) == AE_IFLNK) {
                auto dir = std::filesystem::path(name).parent_path();
                links_[name] = normalize_member((dir / archive_entry_symlink(e)).string());
                continue;
            }
            if (archive_entry_filetype(e) != AE_IFREG) continue;
            BlobWriter w(staging_, "", what);
            for (;;) {
                la_ssize_t got = archive_read_data(a.get(), buf.data(), buf.size());
                if (got < 0)
                    throw UserError(fmt::format("reading {} in {}: {}", name, what,
                                                archive_error_string(a.get())));
                if (got == 0) break;
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
        throw UserError(fmt::format(
            "{} has no file \"{}\" (incomplete or not the expected archive format)", what_, raw));
    }
    bool has(const std::string& raw) const {
        try {
            digest(raw);
            return true;
        } catch (const UserError&) {
            return false;
        }
    }
    std::string text(const std::string& name) const {
        return read_file(staging_.blob_path(digest(name)));
    }

  private:
    std::string what_;
    Staging& staging_;
    std::map<std::string, std::string> files_, links_;
};

json parse_json(const std::string& text, const std::string& what) {
    try {
        return json::parse(text);
    } catch (const json::exception& e) {
        throw UserError(fmt::format("{} is not valid JSON: {}", what, e.what()));
    }
}

bool is_index(const json& j) {
    auto mt = j.value("mediaType", "");
    return mt == kOciIndex || mt == kDockerList ||
           (!j.contains("layers") && j.contains("manifests"));
}

// Resolves an OCI layout's index.json to an image manifest digest; `fetch(digest)`
// stages a blob and returns its text.
template <typename Fetch>
std::string resolve_layout(const json& index, const std::string& tag, const std::string& what,
                           Fetch fetch) {
    std::optional<json> chosen;
    std::vector<std::string> tags;
    const json manifests = index.value("manifests", json::array());
    for (const auto& m : manifests) {
        std::string name;
        if (m.contains("annotations"))
            name = m["annotations"].value("org.opencontainers.image.ref.name", "");
        tags.push_back(name);
        if (tag.empty() ? manifests.size() == 1 : name == tag) chosen = m;
    }
    if (!chosen) {
        std::string list;
        for (const auto& t : tags)
            list += (list.empty() ? "" : ", ") + (t.empty() ? "<untagged>" : t);
        throw UserError(fmt::format(
            "{}: {} (it has: {}); name one as oci:DIR:TAG", what,
            tag.empty() ? "several images and no TAG given" : "no image tagged \"" + tag + "\"",
            list.empty() ? "nothing" : list));
    }
    std::string digest = chosen->at("digest").get<std::string>();
    digest_hex(digest);
    std::string text = fetch(digest);
    if (is_index(parse_json(text, what + " " + digest))) {
        digest = pick_platform_manifest(text, what + " " + digest);
        text = fetch(digest);
    }
    ManifestInfo mi = parse_manifest(text, what + " manifest " + digest);
    fetch(mi.config);
    for (const auto& l : mi.layers) fetch(l.digest);
    return digest;
}

}  // namespace

std::string pick_platform_manifest(const std::string& index_json, const std::string& what) {
    json j = parse_json(index_json, what);
    std::vector<std::string> seen;
    for (const auto& m : j.value("manifests", json::array())) {
        auto p = m.value("platform", json::object());
        std::string os = p.value("os", ""), arch = p.value("architecture", "");
        seen.push_back(os + "/" + arch);
        if (os == "linux" && arch == "amd64") {
            std::string d = m.at("digest").get<std::string>();
            digest_hex(d);
            return d;
        }
    }
    std::string list;
    for (const auto& s : seen) list += (list.empty() ? "" : ", ") + s;
    throw UserError(fmt::format("{} has no linux/amd64 image (platforms: {})", what,
                                list.empty() ? "none" : list));
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

std::string stage_oci_dir(const Reference& ref, Staging& staging) {
    std::string what = "OCI layout " + ref.path;
    if (!path_exists(ref.path + "/index.json"))
        throw UserError(
            fmt::format("{}: no index.json (not an OCI image layout directory?)", what));
    json index = parse_json(read_file(ref.path + "/index.json"), what + "/index.json");
    return resolve_layout(index, ref.path_tag, what, [&](const std::string& d) {
        std::string src = ref.path + "/blobs/sha256/" + digest_hex(d);
        if (!staging.has(d)) {
            if (!path_exists(src)) throw UserError(fmt::format("{}: blob {} is missing", what, d));
            staging.add_file(src, d, what);
        }
        return read_file(staging.blob_path(d));
    });
}

std::string stage_oci_archive(const Reference& ref, Staging& staging) {
    std::string what = "OCI archive " + ref.path;
    ArchiveBlobs blobs(ref.path, what, staging);
    json index = parse_json(blobs.text("index.json"), what + ": index.json");
    return resolve_layout(index, "", what, [&](const std::string& d) {
        std::string got = blobs.digest("blobs/sha256/" + digest_hex(d));
        if (got != d)
            throw UserError(
                fmt::format("digest mismatch for blob {} in {}: its content hashes to {}; "
                            "nothing of this image was stored",
                            d, what, got));
        return read_file(staging.blob_path(d));
    });
}

std::string stage_docker_archive(const std::string& path, const std::string& what,
                                 Staging& staging) {
    ArchiveBlobs blobs(path, what, staging);
    json manifest = parse_json(blobs.text("manifest.json"), what + ": manifest.json");
    if (!manifest.is_array() || manifest.empty())
        throw UserError(fmt::format("{}: manifest.json lists no image", what));
    if (manifest.size() > 1)
        log::warn("{} holds {} images; importing the first ({})", what, manifest.size(),
                  manifest[0].value("RepoTags", json::array()).dump());
    const json& img = manifest[0];
    json oci;
    try {
        std::string config = blobs.digest(img.at("Config").get<std::string>());
        oci = {{"schemaVersion", 2},
               {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
               {"config",
                {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                 {"digest", config},
                 {"size", std::filesystem::file_size(staging.blob_path(config))}}},
               {"layers", json::array()}};
        for (const auto& l : img.at("Layers")) {
            std::string d = blobs.digest(l.get<std::string>());
            std::string p = staging.blob_path(d);
            oci["layers"].push_back({{"mediaType", layer_media_type(p)},
                                     {"digest", d},
                                     {"size", std::filesystem::file_size(p)}});
        }
    } catch (const json::exception& e) {
        throw UserError(fmt::format("{}: malformed manifest.json: {}", what, e.what()));
    }
    return staging.add_bytes(oci.dump(), "", what);
}

std::string stage_docker_daemon(const Reference& ref, Staging& staging) {
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
                msg = json::parse(resp.body).value("message", resp.body);
            } catch (...) {
            }
            throw UserError(fmt::format(
                "{}: dockerd answered {}: {}{}", what, resp.status, msg,
                resp.status == 404 ? " (see `docker images` for the names dockerd knows)" : ""));
        }
    }
    return stage_docker_archive(tar, what, staging);
}

}  // namespace cntr::fatimg
