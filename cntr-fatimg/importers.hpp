// Importers for local image sources. Each stages the image's blobs (verified) in a
// Staging area and returns the digest of its (possibly synthesised) manifest; the
// store then ingests it exactly like a pulled image.
#pragma once

#include <string>

#include "platform.hpp"
#include "reference.hpp"
#include "store.hpp"

namespace cntr::fatimg {

// What every importer needs: the platform an index resolves to, and the limits of
// what one image may hold.
struct StageOptions {
    Platform platform;
    ImageLimits limits;
};

// oci:DIR[:TAG]
std::string stage_oci_dir(const Reference& ref, Staging& staging, const StageOptions& opts);
// oci-archive:PATH
std::string stage_oci_archive(const Reference& ref, Staging& staging, const StageOptions& opts);
// docker-archive:PATH
std::string stage_docker_archive(const std::string& path, const std::string& what, Staging& staging,
                                 const StageOptions& opts);
// docker-daemon:NAME[:TAG] (GET /images/NAME/get on /var/run/docker.sock, or
// $DOCKER_HOST=unix://...)
std::string stage_docker_daemon(const Reference& ref, Staging& staging, const StageOptions& opts);

// From an OCI image index (JSON text): the image manifest for `platform` (its digest
// and declared size). `what` names the index in errors, which list the platforms the
// index offers.
struct PlatformChoice {
    std::string digest;
    uint64_t size = 0;
};
PlatformChoice pick_platform_manifest(const std::string& index_json, const std::string& what,
                                      const Platform& platform);

// The layer media type for a blob by its magic number (gzip, zstd or plain tar).
std::string layer_media_type(const std::string& blob_path);

}  // namespace cntr::fatimg
