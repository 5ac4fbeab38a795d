// The on-disk tool-image store.
//
//   ROOT/                      0700: images contain set-id binaries; only root may reach them
//     lock                     flock(2): one writer at a time (pull, import, rm, gc)
//     refs.json                the refs index: name -> manifest digest, config, layers, size
//     blobs/sha256/<hex>       content-addressed blobs (manifests, configs, layers), verified
//     rootfs/<manifest hex>/   one unpacked root per image; read-only once renamed in place
//     tmp/<op>-XXXXXX/         work dirs of the current writer; anything here when a writer
//                              takes the lock is left over from a killed run and is deleted
//
// Every change is prepared under tmp/ and made visible by rename(2): blobs first, then
// the rootfs, then refs.json (rewritten atomically). A writer killed at any point leaves
// at most unreferenced blobs, which gc removes; the refs index never points at anything
// incomplete. Readers (ensure_rootfs fast path, ls, path, inspect) take no lock.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "digest.hpp"
#include "fd.hpp"
#include "unpack.hpp"

namespace cntr::fatimg {

struct LayerRecord {
    std::string digest;
    std::string media_type;
    uint64_t size = 0;
};

struct ImageRecord {
    std::string manifest;  // digest of the manifest: names the rootfs directory
    std::string config;
    std::vector<LayerRecord> layers;
    uint64_t size = 0;    // sum of the layer blob sizes
    std::string source;   // what it was pulled/imported from
    std::string created;  // when it entered the store (UTC, RFC 3339)
};

// A temporary directory under ROOT/tmp, removed when this object dies.
class TempDir {
  public:
    TempDir(const std::string& parent, const std::string& prefix);
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir();
    [[nodiscard]] const std::string& path() const { return path_; }

  private:
    std::string path_;
};

class Staging;

// Streams one blob into a Staging area, hashing as it goes. finish() checks the digest
// and makes the blob visible in the staging area; a mismatch throws a UserError naming
// the expected digest, the actual one and `source`.
class BlobWriter {
  public:
    // More than `max_size` bytes written (the size a descriptor declares) is an error.
    BlobWriter(Staging& staging, std::string expected, std::string source,
               uint64_t max_size = UINT64_MAX);
    ~BlobWriter();
    void write(const void* data, size_t len);
    // Returns the blob's digest (== expected, when one was given).
    std::string finish();
    [[nodiscard]] uint64_t size() const { return size_; }

  private:
    Staging& staging_;
    std::string expected_, source_, tmp_path_;
    Fd fd_;
    uint64_t size_ = 0, max_size_;
    Sha256 hash_;
};

// Verified blobs of one image being pulled or imported, in ROOT/tmp/.
class Staging {
  public:
    explicit Staging(const std::string& store_tmp);
    [[nodiscard]] std::string blob_path(const std::string& digest) const;
    [[nodiscard]] bool has(const std::string& digest) const;
    [[nodiscard]] const std::string& dir() const { return dir_.path(); }
    // Copies what `fd` reads into the staging area, verifying (or, when expected is
    // empty, computing) its digest; more than max_size bytes is an error.
    std::string add_fd(int fd, const std::string& expected, const std::string& source,
                       uint64_t max_size);
    std::string add_bytes(const std::string& data, const std::string& expected,
                          const std::string& source);

  private:
    TempDir dir_;
};

class StoreLock {
  public:
    StoreLock(Fd fd, int stale) : fd_(std::move(fd)), stale_(stale) {}
    // How many leftover temporaries of killed writers were removed on locking.
    [[nodiscard]] int stale_removed() const { return stale_; }

  private:
    Fd fd_;
    int stale_ = 0;
};

class Store {
  public:
    // Creates the layout if needed. Throws UserError when ROOT cannot be created.
    explicit Store(std::string root);
    [[nodiscard]] const std::string& root() const { return root_; }

    [[nodiscard]] std::map<std::string, ImageRecord> read_index() const;
    [[nodiscard]] std::optional<ImageRecord> find(const std::string& key) const;
    [[nodiscard]] std::string rootfs_path(const std::string& manifest_digest) const;
    [[nodiscard]] std::string blob_path(const std::string& digest) const;
    [[nodiscard]] bool has_blob(const std::string& digest) const;
    // The rootfs of `key` if it is recorded and present.
    [[nodiscard]] std::optional<std::string> ready_rootfs(const std::string& key) const;

    // Exclusive writer lock; waits (saying so on stderr) while another writer runs,
    // then removes leftovers of killed writers in tmp/.
    [[nodiscard]] StoreLock lock() const;
    [[nodiscard]] std::string tmp_dir() const { return root_ + "/tmp"; }

    // Under the lock: makes the staged image `manifest_digest` (blobs in `staging` or
    // already in the store) visible under `key`; unpacks its rootfs unless present.
    // Returns the rootfs path.
    std::string commit(const std::string& key, const Staging& staging,
                       const std::string& manifest_digest, const std::string& source,
                       const ImageLimits& limits);

    // Under the lock. Returns false when `key` is not recorded.
    bool remove(const std::string& key);
    struct GcStats {
        int blobs = 0, rootfs = 0, temps = 0;
        uint64_t bytes = 0;
    };
    GcStats gc();

  private:
    void write_index(const std::map<std::string, ImageRecord>& index) const;
    std::string root_;
};

// The parsed parts of an image manifest (docker schema 2 or OCI) that the store needs.
struct ManifestInfo {
    std::string config;
    uint64_t config_size = 0;  // as declared
    std::vector<LayerRecord> layers;
};
ManifestInfo parse_manifest(const std::string& json, const std::string& what);

}  // namespace cntr::fatimg
