#include "image_builder.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace cntr::fatimg::test {

using json = nlohmann::json;
namespace fs = std::filesystem;

Entry file(std::string name, std::string data, unsigned mode) {
    Entry e;
    e.name = std::move(name);
    e.data = std::move(data);
    e.mode = mode;
    return e;
}
Entry dir(std::string name, unsigned mode) {
    Entry e;
    e.type = Entry::Type::dir;
    e.name = std::move(name);
    e.mode = mode;
    return e;
}
Entry symlink(std::string name, std::string target) {
    Entry e;
    e.type = Entry::Type::symlink;
    e.name = std::move(name);
    e.target = std::move(target);
    e.mode = 0777;
    return e;
}
Entry hardlink(std::string name, std::string target) {
    Entry e;
    e.type = Entry::Type::hardlink;
    e.name = std::move(name);
    e.target = std::move(target);
    return e;
}

std::string sha256_hex(const std::string& data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
    std::string out;
    static const char* hex = "0123456789abcdef";
    for (unsigned i = 0; i < len; ++i) {
        out += hex[md[i] >> 4];
        out += hex[md[i] & 15];
    }
    return out;
}

namespace {

void check(archive* a, int r, const char* what) {
    if (r < ARCHIVE_WARN)
        throw std::runtime_error(std::string(what) + ": " + archive_error_string(a));
}

la_ssize_t append(archive*, void* user, const void* buf, size_t n) {
    static_cast<std::string*>(user)->append(static_cast<const char*>(buf), n);
    return static_cast<la_ssize_t>(n);
}

void write_file(const std::string& path, const std::string& data) {
    std::ofstream f(path, std::ios::binary);
    f.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!f) throw std::runtime_error("write " + path);
}

std::string read_whole(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

std::string config_json(const std::vector<std::string>& diff_ids) {
    json c = {{"architecture", "amd64"},
              {"os", "linux"},
              {"config",
               {{"Env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}}}},
              {"rootfs", {{"type", "layers"}, {"diff_ids", json::array()}}}};
    for (const auto& d : diff_ids) c["rootfs"]["diff_ids"].push_back("sha256:" + d);
    return c.dump();
}

}  // namespace

std::string layer_blob(const Layer& layer) {
    std::string out;
    std::unique_ptr<archive, int (*)(archive*)> a(archive_write_new(), archive_write_free);
    check(a.get(), archive_write_set_format_pax(a.get()), "pax");
    if (layer.compression == Compression::gzip) {
        check(a.get(), archive_write_add_filter_gzip(a.get()), "gzip");
        // No timestamp in the gzip header: the same layer built twice has one digest.
        check(a.get(), archive_write_set_filter_option(a.get(), "gzip", "timestamp", nullptr),
              "gzip:!timestamp");
    }
    if (layer.compression == Compression::zstd)
        check(a.get(), archive_write_add_filter_zstd(a.get()), "zstd");
    archive_write_set_bytes_in_last_block(a.get(), 1);
    check(a.get(), archive_write_open(a.get(), &out, nullptr, append, nullptr), "open");
    for (const auto& en : layer.entries) {
        std::unique_ptr<archive_entry, void (*)(archive_entry*)> e(archive_entry_new(),
                                                                   archive_entry_free);
        archive_entry_copy_pathname(e.get(), en.name.c_str());
        archive_entry_set_perm(e.get(), en.mode);
        archive_entry_set_uid(e.get(), en.uid);
        archive_entry_set_gid(e.get(), en.gid);
        archive_entry_set_mtime(e.get(), en.mtime, 0);
        for (const auto& [k, v] : en.xattrs)
            archive_entry_xattr_add_entry(e.get(), k.c_str(), v.data(), v.size());
        switch (en.type) {
            case Entry::Type::file:
                archive_entry_set_filetype(e.get(), AE_IFREG);
                archive_entry_set_size(e.get(), static_cast<la_int64_t>(en.data.size()));
                if (en.sparse_size) {
                    archive_entry_set_size(e.get(), static_cast<la_int64_t>(en.sparse_size));
                    archive_entry_sparse_add_entry(e.get(), 0,
                                                   static_cast<la_int64_t>(en.data.size()));
                }
                break;
            case Entry::Type::dir:
                archive_entry_set_filetype(e.get(), AE_IFDIR);
                break;
            case Entry::Type::symlink:
                archive_entry_set_filetype(e.get(), AE_IFLNK);
                archive_entry_copy_symlink(e.get(), en.target.c_str());
                break;
            case Entry::Type::hardlink:
                archive_entry_set_filetype(e.get(), AE_IFREG);
                archive_entry_copy_hardlink(e.get(), en.target.c_str());
                archive_entry_set_size(e.get(), 0);
                break;
            case Entry::Type::fifo:
                archive_entry_set_filetype(e.get(), AE_IFIFO);
                break;
            case Entry::Type::chardev:
                archive_entry_set_filetype(e.get(), AE_IFCHR);
                archive_entry_set_rdevmajor(e.get(), en.dev_major);
                archive_entry_set_rdevminor(e.get(), en.dev_minor);
                break;
        }
        check(a.get(), archive_write_header(a.get(), e.get()), "header");
        if (en.type == Entry::Type::file && !en.data.empty())
            if (archive_write_data(a.get(), en.data.data(), en.data.size()) < 0)
                check(a.get(), ARCHIVE_FATAL, "data");
    }
    check(a.get(), archive_write_close(a.get()), "close");
    return out;
}

namespace {

// Uncompressed tar of a layer (for diff_ids).
std::string diff_id(const Layer& l) {
    if (!l.raw_blob.empty()) return sha256_hex(l.raw_blob);
    Layer plain = l;
    plain.compression = Compression::none;
    return sha256_hex(layer_blob(plain));
}

const char* layer_media_type(Compression c) {
    switch (c) {
        case Compression::gzip:
            return "application/vnd.oci.image.layer.v1.tar+gzip";
        case Compression::zstd:
            return "application/vnd.oci.image.layer.v1.tar+zstd";
        case Compression::none:
            break;
    }
    return "application/vnd.oci.image.layer.v1.tar";
}

}  // namespace

std::string write_oci_layout(const std::string& dir, const std::string& tag,
                             const std::vector<Layer>& layers, const std::string& config_text) {
    fs::create_directories(dir + "/blobs/sha256");
    auto put = [&](const std::string& data) {
        std::string h = sha256_hex(data);
        write_file(dir + "/blobs/sha256/" + h, data);
        return h;
    };
    std::vector<std::string> diff_ids;
    json manifest = {{"schemaVersion", 2},
                     {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                     {"layers", json::array()}};
    for (const auto& l : layers) {
        std::string blob = l.raw_blob.empty() ? layer_blob(l) : l.raw_blob;
        manifest["layers"].push_back(
            {{"mediaType", l.raw_blob.empty() ? layer_media_type(l.compression) : l.media_type},
             {"digest", "sha256:" + put(blob)},
             {"size", blob.size()}});
        diff_ids.push_back(diff_id(l));
    }
    std::string config = config_text.empty() ? config_json(diff_ids) : config_text;
    manifest["config"] = {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                          {"digest", "sha256:" + put(config)},
                          {"size", config.size()}};
    std::string m = manifest.dump();
    std::string mh = put(m);
    json index = {{"schemaVersion", 2},
                  {"manifests",
                   {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                     {"digest", "sha256:" + mh},
                     {"size", m.size()},
                     {"annotations", {{"org.opencontainers.image.ref.name", tag}}}}}}};
    write_file(dir + "/index.json", index.dump());
    write_file(dir + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
    return "sha256:" + mh;
}

void write_docker_archive(const std::string& path, const std::string& repo_tag,
                          const std::vector<Layer>& layers) {
    std::string out;
    std::unique_ptr<archive, int (*)(archive*)> a(archive_write_new(), archive_write_free);
    archive_write_set_format_pax_restricted(a.get());
    archive_write_open(a.get(), &out, nullptr, append, nullptr);
    auto add = [&](const std::string& name, const std::string& data) {
        std::unique_ptr<archive_entry, void (*)(archive_entry*)> e(archive_entry_new(),
                                                                   archive_entry_free);
        archive_entry_copy_pathname(e.get(), name.c_str());
        archive_entry_set_filetype(e.get(), AE_IFREG);
        archive_entry_set_perm(e.get(), 0644);
        archive_entry_set_size(e.get(), static_cast<la_int64_t>(data.size()));
        check(a.get(), archive_write_header(a.get(), e.get()), "header");
        archive_write_data(a.get(), data.data(), data.size());
    };
    std::vector<std::string> diff_ids;
    json layer_names = json::array();
    for (const auto& l : layers) {
        std::string blob = layer_blob(l);
        std::string h = sha256_hex(blob);
        add(h + "/layer.tar", blob);
        layer_names.push_back(h + "/layer.tar");
        diff_ids.push_back(diff_id(l));
    }
    std::string config = config_json(diff_ids);
    std::string ch = sha256_hex(config);
    add(ch + ".json", config);
    add("manifest.json",
        json::array({{{"Config", ch + ".json"}, {"RepoTags", {repo_tag}}, {"Layers", layer_names}}})
            .dump());
    check(a.get(), archive_write_close(a.get()), "close");
    write_file(path, out);
}

void tar_directory(const std::string& dir, const std::string& path) {
    std::string out;
    std::unique_ptr<archive, int (*)(archive*)> a(archive_write_new(), archive_write_free);
    archive_write_set_format_pax_restricted(a.get());
    archive_write_open(a.get(), &out, nullptr, append, nullptr);
    for (const auto& p : fs::recursive_directory_iterator(dir)) {
        if (!p.is_regular_file()) continue;
        std::string rel = fs::relative(p.path(), dir).string();
        std::string data = read_whole(p.path().string());
        std::unique_ptr<archive_entry, void (*)(archive_entry*)> e(archive_entry_new(),
                                                                   archive_entry_free);
        archive_entry_copy_pathname(e.get(), rel.c_str());
        archive_entry_set_filetype(e.get(), AE_IFREG);
        archive_entry_set_perm(e.get(), 0644);
        archive_entry_set_size(e.get(), static_cast<la_int64_t>(data.size()));
        check(a.get(), archive_write_header(a.get(), e.get()), "header");
        archive_write_data(a.get(), data.data(), data.size());
    }
    check(a.get(), archive_write_close(a.get()), "close");
    write_file(path, out);
}

}  // namespace cntr::fatimg::test
