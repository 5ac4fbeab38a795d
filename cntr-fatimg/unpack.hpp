// Layer unpacker: applies OCI/docker image layers (tar, optionally gzip or zstd
// compressed) in order onto an empty directory.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cntr::fatimg {

struct LayerFile {
    std::string path;        // the blob on disk
    std::string digest;      // for messages
    std::string media_type;  // decides the one decompression filter allowed
};

// What one image may unpack to, over all its layers. A 362-byte layer can inflate to
// gigabytes and a 300-byte one declare a 1 TiB sparse file, so both are counted before
// anything is written: bytes by every regular file's logical size (holes included),
// entries by every tar entry (whiteouts and links included).
struct ImageLimits {
    uint64_t max_bytes = kDefaultMaxBytes;
    uint64_t max_entries = kDefaultMaxEntries;
    static constexpr uint64_t kDefaultMaxBytes = 32ull << 30;
    static constexpr uint64_t kDefaultMaxEntries = 2'000'000;
};

// The limits: `bytes`/`entries` when given (--max-image-size, --max-image-entries),
// else $CNTR_FATIMG_MAX_IMAGE_SIZE / $CNTR_FATIMG_MAX_IMAGE_ENTRIES, else the defaults.
ImageLimits image_limits(const std::optional<uint64_t>& bytes,
                         const std::optional<uint64_t>& entries);

// Unpacks `layers` into the directory `root_dir` (which must exist and be empty).
// Throws UserError naming the layer and the entry if an entry is absolute, contains
// "..", or would be written through a symlink, if a layer is compressed other than
// its media type says (only gzip, zstd or nothing, once), or if the image exceeds
// `limits`; the caller discards root_dir then.
void unpack_layers(const std::string& root_dir, const std::vector<LayerFile>& layers,
                   const ImageLimits& limits);

}  // namespace cntr::fatimg
