// Layer unpacker: applies OCI/docker image layers (tar, optionally gzip or zstd
// compressed) in order onto an empty directory.
#pragma once

#include <string>
#include <vector>

namespace cntr::fatimg {

struct LayerFile {
    std::string path;    // the blob on disk
    std::string digest;  // for messages
};

// Unpacks `layers` into the directory `root_dir` (which must exist and be empty).
// Throws UserError naming the layer and the entry if an entry is absolute, contains
// "..", or would be written through a symlink; the caller discards root_dir then.
void unpack_layers(const std::string& root_dir, const std::vector<LayerFile>& layers);

}  // namespace cntr::fatimg
