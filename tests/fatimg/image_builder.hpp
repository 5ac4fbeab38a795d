// Test images from local bytes: layers written with libarchive (any entry name,
// including hostile ones real tools refuse to produce), packed as an OCI image
// layout directory or a `docker save` style archive.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cntr::fatimg::test {

struct Entry {
    enum class Type { file, dir, symlink, hardlink, fifo, chardev };
    Type type = Type::file;
    std::string name;
    std::string data;    // file content
    std::string target;  // symlink target / hard-link target
    unsigned mode = 0644;
    unsigned uid = 0, gid = 0;
    long mtime = 1700000000;
    unsigned dev_major = 0, dev_minor = 0;  // chardev
    std::map<std::string, std::string> xattrs;
    // file: when set, the entry's logical size, `data` its only data region (at 0);
    // the rest is a hole (a sparse file).
    uint64_t sparse_size = 0;
};

Entry file(std::string name, std::string data, unsigned mode = 0644);
Entry dir(std::string name, unsigned mode = 0755);
Entry symlink(std::string name, std::string target);
Entry hardlink(std::string name, std::string target);

enum class Compression { none, gzip, zstd };

struct Layer {
    std::vector<Entry> entries;
    Compression compression = Compression::gzip;
    // When set: the blob as it is, under `media_type` (crafted, hostile layers).
    std::string raw_blob;
    std::string media_type;
};

// The layer's tar (compressed as asked).
std::string layer_blob(const Layer& layer);

// Writes an OCI image layout at `dir` (created) holding one image tagged `tag`.
// Returns the manifest digest. `config`, when not empty, is the config blob's text.
std::string write_oci_layout(const std::string& dir, const std::string& tag,
                             const std::vector<Layer>& layers, const std::string& config = "");

// Writes a docker-archive (manifest.json + config + layer tars) to `path`.
void write_docker_archive(const std::string& path, const std::string& repo_tag,
                          const std::vector<Layer>& layers);

// Packs directory `dir` into the tar file `path` (for oci-archive:).
void tar_directory(const std::string& dir, const std::string& path);

std::string sha256_hex(const std::string& data);

}  // namespace cntr::fatimg::test
