// Public interface of the tool-image store, called by `cntr attach --tools IMAGE`
// and by the cntr-fatimg CLI. See docs/tool-images.md for the store layout.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cntr::fatimg {

enum class PullPolicy { missing, always, never };

struct StoreConfig {
    std::string root;                  // empty: $CNTR_IMAGE_STORE, else /var/lib/cntr/images
    std::optional<bool> tls_verify;    // nullopt: verify
    std::optional<std::string> creds;  // "USER:PASS"
    bool progress = true;  // on stderr: one redrawn line on a terminal, plain step lines elsewhere
    // What one image may unpack to (nullopt: $CNTR_FATIMG_MAX_IMAGE_SIZE /
    // $CNTR_FATIMG_MAX_IMAGE_ENTRIES, else 32 GiB and 2 000 000 entries).
    std::optional<uint64_t> max_image_bytes;
    std::optional<uint64_t> max_image_entries;
    // The image of an index to use: "os/arch[/variant]"; empty: this host's platform.
    std::string platform;
};

// Makes sure `reference` (a registry ref like "busybox", "127.0.0.1:5000/tools:1", "docker://REF",
// or a transport "docker-archive:PATH", "oci-archive:PATH", "oci:DIR[:TAG]",
// "docker-daemon:NAME[:TAG]") is in the store according to `policy`, and returns the absolute
// path of its unpacked rootfs directory. Throws cntr::UserError with a helpful message on
// failure (nothing half-written stays in the store).
std::string ensure_rootfs(const std::string& reference, PullPolicy policy, const StoreConfig& cfg);

// `cntr-fatimg import SOURCE --name NAME`: like ensure_rootfs(SOURCE, always) but records the
// image under NAME (normalised like a registry reference) when NAME is not empty.
std::string import_image(const std::string& source, const std::string& name,
                         const StoreConfig& cfg);

// ensure_rootfs, and the environment of the same image's config ("NAME=value" entries
// of config.Env; empty when it sets none) - read for that root, not looked up again by
// name, so a concurrent pull cannot pair the root with another version's environment.
struct ToolImage {
    std::string rootfs;
    std::vector<std::string> env;
};
ToolImage ensure_image(const std::string& reference, PullPolicy policy, const StoreConfig& cfg);

// The store root `cfg` designates (cfg.root, $CNTR_IMAGE_STORE, /var/lib/cntr/images).
std::string store_root(const StoreConfig& cfg);

}  // namespace cntr::fatimg
