// Importers for local image sources. Each stages the image's blobs (verified) in a
// Staging area and returns the digest of its (possibly synthesised) manifest; the
// store then ingests it exactly like a pulled image.
#pragma once

#include <string>

#include "reference.hpp"
#include "store.hpp"

namespace cntr::fatimg {

// oci:DIR[:TAG]
std::string stage_oci_dir(const Reference& ref, Staging& staging);
// oci-archive:PATH
std::string stage_oci_archive(const Reference& ref, Staging& staging);
// docker-archive:PATH
std::string stage_docker_archive(const std::string& path, const std::string& what,
                                 Staging& staging);
// docker-daemon:NAME[:TAG] (GET /images/NAME/get on /var/run/docker.sock, or
// $DOCKER_HOST=unix://...)
std::string stage_docker_daemon(const Reference& ref, Staging& staging);

// From an OCI image index (JSON text): the digest of the linux/amd64 image manifest.
// `what` names the index in errors.
std::string pick_platform_manifest(const std::string& index_json, const std::string& what);

// The layer media type for a blob by its magic number (gzip, zstd or plain tar).
std::string layer_media_type(const std::string& blob_path);

}  // namespace cntr::fatimg
