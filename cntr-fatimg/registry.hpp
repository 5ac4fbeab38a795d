// Registry client for the OCI distribution API (pull only).
#pragma once

#include <string>

#include "image_store.hpp"
#include "importers.hpp"
#include "reference.hpp"
#include "store.hpp"

namespace cntr::fatimg {

// Resolves `ref` to an image manifest (an index -> the image for opts.platform),
// stages the manifest, its config and every layer not already in `store`, each
// verified against its digest, and returns the manifest digest. Throws UserError
// with a hint on failure.
std::string stage_registry_image(const Reference& ref, const StoreConfig& cfg, const Store& store,
                                 Staging& staging, const StageOptions& opts);

// Only resolves `ref` to the digest of its image manifest for `platform` (no blobs).
std::string resolve_registry_digest(const Reference& ref, const StoreConfig& cfg,
                                    const Platform& platform);

}  // namespace cntr::fatimg
