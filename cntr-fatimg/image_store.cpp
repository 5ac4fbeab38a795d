// ensure_rootfs: the one entry point cntr uses. Readers never lock: a recorded
// image whose rootfs exists is returned at once. Everything else happens under the
// store's writer lock, re-checking first, so two concurrent pulls of one image both
// succeed and the second one finds the first one's copy.
#include "image_store.hpp"

#include <fmt/core.h>

#include <chrono>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "error.hpp"
#include "file_io.hpp"
#include "fs_util.hpp"
#include "importers.hpp"
#include "json_limits.hpp"
#include "log.hpp"
#include "progress.hpp"
#include "reference.hpp"
#include "registry.hpp"
#include "store.hpp"
#include "text.hpp"

namespace cntr::fatimg {

namespace {

std::string stage(const Reference& ref, const StoreConfig& cfg, const Store& store,
                  Staging& staging, const StageOptions& opts) {
    switch (ref.transport) {
        case Transport::docker:
            return stage_registry_image(ref, cfg, store, staging, opts);
        case Transport::oci:
            return stage_oci_dir(ref, staging, opts);
        case Transport::oci_archive:
            return stage_oci_archive(ref, staging, opts);
        case Transport::docker_archive:
            return stage_docker_archive(ref.path, ref.source(), staging, opts);
        case Transport::docker_daemon:
            return stage_docker_daemon(ref, staging, opts);
    }
    throw UserError("unknown transport");
}

std::string fetch_and_commit(const Reference& ref, const std::string& key, PullPolicy policy,
                             const StoreConfig& cfg, Store& store) {
    const StageOptions opts{parse_platform(cfg.platform),
                            image_limits(cfg.max_image_bytes, cfg.max_image_entries)};
    StoreLock lock = store.lock();
    if (policy == PullPolicy::missing)
        if (auto p = store.ready_rootfs(key)) return *p;  // another process was faster
    if (ref.transport == Transport::docker && policy == PullPolicy::always) {
        // Up to date already? Then only the manifest is fetched.
        if (auto rec = store.find(key); rec && path_exists(store.rootfs_path(rec->manifest))) {
            if (resolve_registry_digest(ref, cfg, opts.platform) == rec->manifest) {
                log::debug("{} is up to date ({})", key, rec->manifest);
                return store.rootfs_path(rec->manifest);
            }
        }
    }
    Staging staging(store.tmp_dir());
    std::string manifest = stage(ref, cfg, store, staging, opts);
    if (path_exists(store.rootfs_path(manifest)))
        return store.commit(key, staging, manifest, ref.source(), opts.limits);
    // Unpacking takes as long as the download for images of many small files: say so.
    PullProgress steps(cfg.progress, key, 0, 0);
    steps.step("unpacking");
    const auto start = std::chrono::steady_clock::now();
    std::string rootfs = store.commit(key, staging, manifest, ref.source(), opts.limits);
    steps.step(fmt::format(
        "unpacked in {:.1f} s",
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()));
    return rootfs;
}

}  // namespace

std::string store_root(const StoreConfig& cfg) {
    if (!cfg.root.empty()) return absolute_path(cfg.root);
    if (const char* e = std::getenv("CNTR_IMAGE_STORE"); e && *e) return absolute_path(e);
    return "/var/lib/cntr/images";
}

namespace {

std::string ensure_rootfs_in(Store& store, const std::string& reference, PullPolicy policy,
                             const StoreConfig& cfg) {
    Reference ref = parse_reference(reference);
    const std::string key = ref.key();
    if (policy != PullPolicy::always) {
        if (auto p = store.ready_rootfs(key)) return *p;
        if (policy == PullPolicy::never)
            throw UserError(
                fmt::format("image {} is not in the image store {} and the pull policy is "
                            "\"never\": run `cntr-fatimg pull {}` (or import it) first, or "
                            "use --pull=missing",
                            key, store.root(), reference));
    }
    if (policy != PullPolicy::missing || ref.transport != Transport::docker)
        return fetch_and_commit(ref, key, policy, cfg, store);
    // Most often a typo of a local image's name: the pull error alone (an unknown
    // host, a 404) would hide that the store was looked at first.
    try {
        return fetch_and_commit(ref, key, policy, cfg, store);
    } catch (const UserError& e) {
        throw UserError(
            fmt::format("no image {} in the store (cntr-fatimg ls); pulling it from {} "
                        "failed: {}",
                        reference, ref.registry, e.what()));
    }
}

std::string import_image_impl(const std::string& source, const std::string& name,
                              const StoreConfig& cfg) {
    Reference ref = parse_reference(source);
    std::string key = ref.key();
    if (!name.empty()) {
        Reference n = parse_reference(name);
        if (n.transport != Transport::docker)
            throw UserError(fmt::format(
                "--name {}: expected an image name like NAME[:TAG], not a transport", name));
        key = n.key();
    }
    Store store(store_root(cfg));
    return fetch_and_commit(ref, key, PullPolicy::always, cfg, store);
}

// The interface promises UserError with printable text: give system and JSON errors
// the image and the store as context, and escape whatever a registry or an image put
// into a message (entry names, server replies) before it reaches a terminal.
template <typename F>
auto user_errors(const std::string& what, const StoreConfig& cfg, F f) -> decltype(f()) {
    try {
        return f();
    } catch (const UserError& e) {
        throw UserError(printable(e.what()));
    } catch (const SysError& e) {
        throw UserError(
            printable(fmt::format("{}: {} (image store {})", what, e.what(), store_root(cfg))));
    } catch (const nlohmann::json::exception& e) {
        throw UserError(printable(fmt::format("{}: unexpected JSON content: {} (image store {})",
                                              what, e.what(), store_root(cfg))));
    }
}

// config.Env of the image whose unpacked root is `rootfs`. The root's directory is named
// by the manifest digest, which fixes the config: whatever a concurrent pull did to the
// reference meanwhile, this is the environment of that root. Empty if no record names
// it any more.
std::vector<std::string> environment_of_rootfs(const Store& store, const std::string& rootfs) {
    std::string config_digest;
    for (const auto& [key, record] : store.read_index()) {
        if (store.rootfs_path(record.manifest) == rootfs) {
            config_digest = record.config;
            break;
        }
    }
    if (config_digest.empty()) return {};
    // The config blob was verified against its digest when it entered the store.
    nlohmann::json config;
    try {
        config = parse_json(read_file(store.blob_path(config_digest)), "config " + config_digest);
    } catch (const UserError& e) {
        log::warn("{}", e.what());
        return {};
    }
    std::vector<std::string> env;
    if (config.is_object() && config.contains("config") && config["config"].is_object()) {
        const auto& c = config["config"];
        if (c.contains("Env") && c["Env"].is_array())
            for (const auto& e : c["Env"])
                if (e.is_string()) env.push_back(e.get<std::string>());
    }
    return env;
}

}  // namespace

std::string ensure_rootfs(const std::string& reference, PullPolicy policy, const StoreConfig& cfg) {
    return user_errors(reference, cfg, [&] {
        Store store(store_root(cfg));
        return ensure_rootfs_in(store, reference, policy, cfg);
    });
}

ToolImage ensure_image(const std::string& reference, PullPolicy policy, const StoreConfig& cfg) {
    return user_errors(reference, cfg, [&] {
        Store store(store_root(cfg));
        ToolImage image;
        image.rootfs = ensure_rootfs_in(store, reference, policy, cfg);
        image.env = environment_of_rootfs(store, image.rootfs);
        return image;
    });
}

std::string import_image(const std::string& source, const std::string& name,
                         const StoreConfig& cfg) {
    return user_errors(source, cfg, [&] { return import_image_impl(source, name, cfg); });
}

}  // namespace cntr::fatimg
