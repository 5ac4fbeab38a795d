#include "store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/core.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <set>

#include "error.hpp"
#include "file_io.hpp"
#include "fs_util.hpp"
#include "json_limits.hpp"
#include "log.hpp"
#include "text.hpp"
#include "unpack.hpp"

namespace cntr::fatimg {

using json = nlohmann::json;

namespace {

std::vector<std::string> list_dir(const std::string& path) {
    std::vector<std::string> out;
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(path.c_str()), ::closedir);
    if (!d) return out;
    while (dirent* e = ::readdir(d.get())) {
        std::string n = e->d_name;
        if (n != "." && n != "..") out.push_back(n);
    }
    return out;
}

std::string now_rfc3339() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    std::array<char, 32> buf{};
    std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf.data();
}

uint64_t file_size(const std::string& p) {
    struct stat st {};
    return ::lstat(p.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

}  // namespace

// ---- TempDir ---------------------------------------------------------------

TempDir::TempDir(const std::string& parent, const std::string& prefix) {
    std::string tmpl = parent + "/" + prefix + "-XXXXXX";
    if (!::mkdtemp(tmpl.data())) throw_errno("mkdtemp " + tmpl);
    path_ = tmpl;
}

TempDir::~TempDir() {
    try {
        remove_tree(path_);
    } catch (const std::exception& e) {
        log::warn("could not remove temporary directory {}: {}", path_, e.what());
    }
}

// ---- BlobWriter / Staging --------------------------------------------------

BlobWriter::BlobWriter(Staging& staging, std::string expected, std::string source,
                       uint64_t max_size)
    : staging_(staging),
      expected_(std::move(expected)),
      source_(std::move(source)),
      max_size_(max_size) {
    static std::atomic<int> counter{0};
    tmp_path_ = staging_.dir() + "/partial-" + std::to_string(counter++);
    fd_ = open_fd(tmp_path_, O_WRONLY | O_CREAT | O_TRUNC, 0644);
}

BlobWriter::~BlobWriter() {
    if (fd_) ::unlink(tmp_path_.c_str());
}

void BlobWriter::write(const void* data, size_t len) {
    if (len > max_size_ - size_)
        throw UserError(
            fmt::format("blob {} from {} is larger than the {} bytes declared for it; "
                        "nothing of this image was stored",
                        expected_.empty() ? "(unnamed)" : expected_, source_, max_size_));
    hash_.update(data, len);
    write_all(fd_.get(), std::string_view(static_cast<const char*>(data), len));
    size_ += len;
}

std::string BlobWriter::finish() {
    std::string got = hash_.finish();
    if (!expected_.empty() && got != expected_) {
        throw UserError(fmt::format(
            "digest mismatch for blob {} from {}: its content hashes to {}. The blob is corrupt or "
            "was tampered with; nothing of this image was stored",
            expected_, source_, got));
    }
    fd_.reset();
    std::string dest = staging_.blob_path(got);
    if (::rename(tmp_path_.c_str(), dest.c_str()) != 0) throw_errno("rename " + tmp_path_);
    return got;
}

Staging::Staging(const std::string& store_tmp) : dir_(store_tmp, "stage") {}

std::string Staging::blob_path(const std::string& digest) const {
    return dir_.path() + "/" + digest_hex(digest);
}

bool Staging::has(const std::string& digest) const { return path_exists(blob_path(digest)); }

std::string Staging::add_fd(int fd, const std::string& expected, const std::string& source,
                            uint64_t max_size) {
    BlobWriter w(*this, expected, source, max_size);
    std::vector<char> buf(1 << 20);
    for (;;) {
        ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        check(n, "read " + source);
        if (n == 0) break;
        w.write(buf.data(), static_cast<size_t>(n));
    }
    return w.finish();
}

std::string Staging::add_bytes(const std::string& data, const std::string& expected,
                               const std::string& source) {
    BlobWriter w(*this, expected, source);
    w.write(data.data(), data.size());
    return w.finish();
}

// ---- manifests -------------------------------------------------------------

ManifestInfo parse_manifest(const std::string& text, const std::string& what) {
    ManifestInfo m;
    json j = parse_json(text, what);
    if (!j.is_object()) throw UserError(fmt::format("{} is not a JSON object", what));
    if (j.contains("manifests"))
        throw UserError(fmt::format("{} is an image index, not an image manifest", what));
    // An integer, compared as one: a float like 6e22 converted to int is undefined.
    if (!j.contains("schemaVersion") || !j["schemaVersion"].is_number_unsigned() ||
        j["schemaVersion"].get<uint64_t>() != 2)
        throw UserError(
            fmt::format("{}: only image manifests of schema version 2 (docker) or OCI "
                        "are supported",
                        what));
    if (!j.contains("config") || !j["config"].is_object())
        throw UserError(fmt::format("{}: no config descriptor", what));
    m.config = json_string(j["config"], "digest", what + " config");
    digest_hex(m.config);
    // Every blob is read with its declared size as the budget; a config is held in
    // memory whole (inspect), so it is bounded like a manifest.
    m.config_size = json_uint(j["config"], "size", what + " config");
    if (m.config_size > kMaxConfigBytes)
        throw UserError(fmt::format("{}: config {} declares {} bytes (limit {} MiB)", what,
                                    m.config, m.config_size, kMaxConfigBytes >> 20));
    if (!j.contains("layers") || !j["layers"].is_array())
        throw UserError(fmt::format("{}: no layers array", what));
    for (const auto& l : j["layers"]) {
        LayerRecord r;
        r.digest = json_string(l, "digest", what + " layer");
        digest_hex(r.digest);
        r.media_type = l.contains("mediaType") && l["mediaType"].is_string()
                           ? l["mediaType"].get<std::string>()
                           : "";
        r.size = json_uint(l, "size", what + " layer " + r.digest);
        if (r.media_type.find("encrypted") != std::string::npos ||
            r.media_type.find("foreign") != std::string::npos)
            throw UserError(fmt::format("{}: layer {} has unsupported media type {}", what,
                                        r.digest, printable(r.media_type)));
        m.layers.push_back(r);
    }
    return m;
}

// ---- Store -----------------------------------------------------------------

Store::Store(std::string root) : root_(absolute_path(root)) {
    try {
        if (!path_exists(root_)) {
            make_dirs(root_, 0700);
            ::chmod(root_.c_str(), 0700);
        }
        for (const char* sub : {"/blobs", "/blobs/sha256", "/rootfs", "/tmp"}) {
            std::string p = root_ + sub;
            if (::mkdir(p.c_str(), 0700) != 0 && errno != EEXIST) throw_errno("mkdir " + p);
        }
    } catch (const SysError& e) {
        throw UserError(
            fmt::format("cannot use image store {}: {} (run as root, or pick another "
                        "store with --root DIR / CNTR_IMAGE_STORE)",
                        root_, e.what()));
    }
}

std::string Store::rootfs_path(const std::string& d) const {
    return root_ + "/rootfs/" + digest_hex(d);
}
std::string Store::blob_path(const std::string& d) const {
    return root_ + "/blobs/sha256/" + digest_hex(d);
}
bool Store::has_blob(const std::string& d) const { return path_exists(blob_path(d)); }

std::map<std::string, ImageRecord> Store::read_index() const {
    std::map<std::string, ImageRecord> out;
    std::string path = root_ + "/refs.json";
    if (!path_exists(path)) return out;
    try {
        json j = parse_json(read_file(path), path);
        for (const auto& [name, v] : j.at("images").items()) {
            ImageRecord r;
            r.manifest = v.at("manifest");
            r.config = v.at("config");
            r.size = v.value("size", uint64_t{0});
            r.source = v.value("source", "");
            r.created = v.value("created", "");
            for (const auto& l : v.at("layers"))
                r.layers.push_back(
                    {l.at("digest"), l.value("mediaType", ""), l.value("size", uint64_t{0})});
            out.emplace(name, std::move(r));
        }
    } catch (const std::exception& e) {
        throw UserError(
            fmt::format("image store index {} is unreadable: {} (remove it and pull "
                        "again)",
                        path, e.what()));
    }
    return out;
}

void Store::write_index(const std::map<std::string, ImageRecord>& index) const {
    json images = json::object();
    for (const auto& [name, r] : index) {
        json layers = json::array();
        for (const auto& l : r.layers)
            layers.push_back({{"digest", l.digest}, {"mediaType", l.media_type}, {"size", l.size}});
        images[name] = {{"manifest", r.manifest}, {"config", r.config}, {"layers", layers},
                        {"size", r.size},         {"source", r.source}, {"created", r.created}};
    }
    write_file_atomic(root_ + "/refs.json",
                      json{{"version", 1}, {"images", images}}.dump(2) + "\n");
}

std::optional<ImageRecord> Store::find(const std::string& key) const {
    auto idx = read_index();
    auto it = idx.find(key);
    if (it == idx.end()) return std::nullopt;
    return it->second;
}

std::optional<std::string> Store::ready_rootfs(const std::string& key) const {
    auto r = find(key);
    if (!r) return std::nullopt;
    std::string p = rootfs_path(r->manifest);
    if (!path_exists(p)) return std::nullopt;
    return p;
}

StoreLock Store::lock() const {
    Fd fd = open_fd(root_ + "/lock", O_RDWR | O_CREAT, 0600);
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK) throw_errno("flock " + root_ + "/lock");
        log::write_line("info", fmt::format("waiting for another cntr-fatimg using {}", root_));
        while (::flock(fd.get(), LOCK_EX) != 0)
            if (errno != EINTR) throw_errno("flock " + root_ + "/lock");
    }
    // We are the only writer now: whatever is in tmp/ was left by a killed writer.
    // A leftover that cannot be removed must not wedge the store: every later writer
    // would fail here. Say so and go on; the next writer tries again.
    int stale = 0;
    for (const auto& n : list_dir(tmp_dir())) {
        log::debug("removing stale temporary {}/{}", tmp_dir(), n);
        try {
            remove_tree(tmp_dir() + "/" + n);
            ++stale;
        } catch (const std::exception& e) {
            log::warn("cannot remove the stale temporary {}/{}: {}", tmp_dir(), n, e.what());
        }
    }
    // A writer killed while rewriting the index leaves refs.json.tmp.PID behind.
    for (const auto& n : list_dir(root_))
        if (n.starts_with("refs.json.tmp.")) ::unlink((root_ + "/" + n).c_str());
    return StoreLock(std::move(fd), stale);
}

std::string Store::commit(const std::string& key, const Staging& staging,
                          const std::string& manifest_digest, const std::string& source,
                          const ImageLimits& limits) {
    auto locate = [&](const std::string& d) {
        if (staging.has(d)) return staging.blob_path(d);
        if (has_blob(d)) return blob_path(d);
        throw UserError(
            fmt::format("internal error: blob {} of {} was neither staged nor stored", d, source));
    };
    const std::string manifest_text = read_file(locate(manifest_digest));
    ManifestInfo m = parse_manifest(manifest_text, "manifest " + manifest_digest + " of " + source);
    // The config is JSON that inspect prints and cntr reads: bounded and well-formed,
    // or the image is refused now rather than when it is used.
    {
        const std::string what = "config " + m.config + " of " + source;
        RegularFile cf = open_regular(-1, locate(m.config), kMaxConfigBytes, what);
        json config = parse_json(read_regular(cf, what), what);
        if (!config.is_object()) throw UserError(fmt::format("{} is not a JSON object", what));
    }

    ImageRecord rec;
    rec.manifest = manifest_digest;
    rec.config = m.config;
    rec.layers = m.layers;
    rec.source = source;
    rec.created = now_rfc3339();
    for (auto& l : rec.layers) {
        l.size = file_size(locate(l.digest));
        rec.size += l.size;
    }

    std::string rootfs = rootfs_path(manifest_digest);
    std::optional<TempDir> unpacked;
    if (!path_exists(rootfs)) {
        unpacked.emplace(tmp_dir(), "rootfs");
        std::string dir = unpacked->path() + "/root";
        check(::mkdir(dir.c_str(), 0755), "mkdir " + dir);
        std::vector<LayerFile> files;
        for (const auto& l : rec.layers)
            files.push_back({locate(l.digest), l.digest, l.media_type});
        unpack_layers(dir, files, limits);
        // cntr mounts the slim container's root at /var/lib/cntr of the tools root.
        Fd rfd = open_fd(dir, O_PATH | O_DIRECTORY);
        Fd cur = open_beneath(rfd.get(), "", O_PATH | O_DIRECTORY);
        for (const char* c : {"var", "lib", "cntr"}) {
            if (::mkdirat(cur.get(), c, 0755) != 0 && errno != EEXIST)
                throw UserError(fmt::format("image {}: cannot create /var/lib/cntr: {}", source,
                                            std::strerror(errno)));
            Fd next = open_beneath(cur.get(), c, O_PATH | O_DIRECTORY);
            if (!next)
                throw UserError(
                    fmt::format("image {}: /var/lib/cntr cannot be created ({}: {}); "
                                "cntr needs it as an empty directory",
                                source, c, std::strerror(errno)));
            cur = std::move(next);
        }
        // An image that ships var/lib/cntr gets it emptied and 0755: the slim
        // container's root is mounted over it, so its content could never be seen.
        Fd mnt = open_beneath(cur.get(), "", O_RDONLY | O_DIRECTORY);
        if (!mnt) throw_errno("open var/lib/cntr in " + dir);
        check(::fchmod(mnt.get(), 0755), "chmod var/lib/cntr in " + dir);
        clear_dir(mnt.get(), "var/lib/cntr");
        check(::chmod(dir.c_str(), 0755), "chmod " + dir);
    }
    // Blobs first (harmless if we die now: gc removes unreferenced ones) ...
    std::vector<std::string> referenced = {manifest_digest, m.config};
    for (const auto& l : rec.layers) referenced.push_back(l.digest);
    for (const auto& d : referenced) {
        if (!staging.has(d) || has_blob(d)) continue;
        std::string src = staging.blob_path(d);
        if (::rename(src.c_str(), blob_path(d).c_str()) != 0) throw_errno("rename " + src);
    }
    // ... then the rootfs ...
    if (unpacked) {
        std::string dir = unpacked->path() + "/root";
        if (::rename(dir.c_str(), rootfs.c_str()) != 0)
            throw_errno("rename " + dir + " to " + rootfs);
    }
    // ... and last the index that makes the image visible.
    auto index = read_index();
    index[key] = rec;
    write_index(index);
    return rootfs;
}

bool Store::remove(const std::string& key) {
    auto index = read_index();
    auto it = index.find(key);
    if (it == index.end()) return false;
    std::string manifest = it->second.manifest;
    index.erase(it);
    write_index(index);
    bool still_used = false;
    for (const auto& [k, r] : index) still_used = still_used || r.manifest == manifest;
    if (!still_used && path_exists(rootfs_path(manifest))) {
        // Rename first so a half-deleted tree is never visible under rootfs/.
        TempDir trash(tmp_dir(), "rm");
        std::string dest = trash.path() + "/root";
        if (::rename(rootfs_path(manifest).c_str(), dest.c_str()) != 0)
            throw_errno("rename " + rootfs_path(manifest));
    }
    return true;
}

Store::GcStats Store::gc() {
    GcStats st;
    std::set<std::string> keep_blobs, keep_rootfs;
    for (const auto& [k, r] : read_index()) {
        keep_rootfs.insert(digest_hex(r.manifest));
        keep_blobs.insert(digest_hex(r.manifest));
        keep_blobs.insert(digest_hex(r.config));
        for (const auto& l : r.layers) keep_blobs.insert(digest_hex(l.digest));
    }
    for (const auto& n : list_dir(root_ + "/blobs/sha256")) {
        if (keep_blobs.contains(n)) continue;
        std::string p = root_ + "/blobs/sha256/" + n;
        st.bytes += file_size(p);
        remove_tree(p);
        ++st.blobs;
    }
    for (const auto& n : list_dir(root_ + "/rootfs")) {
        if (keep_rootfs.contains(n)) continue;
        remove_tree(root_ + "/rootfs/" + n);
        ++st.rootfs;
    }
    return st;
}

}  // namespace cntr::fatimg
