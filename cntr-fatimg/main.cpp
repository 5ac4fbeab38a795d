// cntr-fatimg: the tool-image store's command line (pull, import, ls, inspect,
// path, rm, gc). All the work is in the library; this file maps commands to it.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cntr_version.hpp"
#include "digest.hpp"
#include "error.hpp"
#include "file_io.hpp"
#include "fs_util.hpp"
#include "image_store.hpp"
#include "json_limits.hpp"
#include "log.hpp"
#include "platform.hpp"
#include "reference.hpp"
#include "store.hpp"
#include "text.hpp"

namespace {

using namespace cntr::fatimg;
using json = nlohmann::json;

constexpr int kOk = 0, kError = 1, kUsage = 2;

const char* kDescription =
    "cntr-fatimg manages the store of tool images that `cntr attach --tools IMAGE` serves:\n"
    "images are pulled from a registry or imported from local sources, verified (sha256),\n"
    "and unpacked once into a read-only root directory.";

const char* kFooter =
    "Image sources (skopeo's transport names):\n"
    "  [docker://]NAME[:TAG][@DIGEST]  registry image; busybox = docker.io/library/busybox:latest\n"
    "  docker-archive:PATH             a `docker save` tarball\n"
    "  oci-archive:PATH                a tarball of an OCI image layout\n"
    "  oci:DIR[:TAG]                   an OCI image layout directory\n"
    "  docker-daemon:NAME[:TAG]        an image of the local dockerd (/var/run/docker.sock)\n"
    "Store: --root DIR, else $CNTR_IMAGE_STORE, else /var/lib/cntr/images.\n"
    "Registries on localhost/127.0.0.1/::1 may speak plain HTTP; others need HTTPS (trusting the\n"
    "system CAs plus /etc/docker/certs.d/HOST:PORT/ca.crt and "
    "/etc/containers/certs.d/HOST:PORT/ca.crt)\n"
    "unless --tls-verify=false. Credentials: --creds, $REGISTRY_AUTH_FILE,\n"
    "$XDG_RUNTIME_DIR/containers/auth.json, ~/.docker/config.json (auths, credHelpers,\n"
    "credsStore: docker-credential-* helpers).\n"
    "Limits (hostile images): an image unpacks to at most 32 GiB and 2 000 000 entries\n"
    "(--max-image-size, --max-image-entries, $CNTR_FATIMG_MAX_IMAGE_SIZE,\n"
    "$CNTR_FATIMG_MAX_IMAGE_ENTRIES); a transfer under 1 KiB/s for 30 s is aborted\n"
    "($CNTR_FATIMG_LOW_SPEED_TIME=SECONDS).\n"
    "Exit status: 0 success, 1 error (message on stderr), 2 usage error.\n"
    "Set CNTR_DEBUG=1 or pass -v for debug messages.";

std::string human_size(uint64_t b) {
    const char* units[] = {"B", "kB", "MB", "GB", "TB"};
    double v = static_cast<double>(b);
    int u = 0;
    while (v >= 1000 && u < 4) {
        v /= 1000;
        ++u;
    }
    return u == 0 ? fmt::format("{} B", b) : fmt::format("{:.1f} {}", v, units[u]);
}

// The index key for a REF given on the command line: as recorded, or normalised.
std::string find_key(const Store& store, const std::string& text) {
    auto index = store.read_index();
    if (index.contains(text)) return text;
    try {
        std::string key = parse_reference(text).key();
        if (index.contains(key)) return key;
    } catch (const cntr::UserError&) {
    }
    throw cntr::UserError(
        fmt::format("image {} is not in the store {} (see `cntr-fatimg ls`; pull it with "
                    "`cntr-fatimg pull {}`)",
                    text, store.root(), text));
}

json record_json(const Store& store, const std::string& name, const ImageRecord& r) {
    json layers = json::array();
    for (const auto& l : r.layers)
        layers.push_back({{"digest", l.digest}, {"mediaType", l.media_type}, {"size", l.size}});
    return {{"name", name},
            {"digest", r.manifest},
            {"config_digest", r.config},
            {"layers", layers},
            {"size", r.size},
            {"source", r.source},
            {"created", r.created},
            {"rootfs", store.rootfs_path(r.manifest)}};
}

int cmd_ls(const Store& store, const std::string& format) {
    auto index = store.read_index();
    if (format == "json") {
        json out = json::array();
        for (const auto& [name, r] : index) out.push_back(record_json(store, name, r));
        std::cout << out.dump(2) << "\n";
        return kOk;
    }
    size_t w = 10;
    for (const auto& [name, r] : index) w = std::max(w, name.size());
    std::cout << fmt::format("{:<{}}  {:<12}  {:>6}  {:>9}  {}\n", "REFERENCE", w, "DIGEST",
                             "LAYERS", "SIZE", "CREATED");
    for (const auto& [name, r] : index)
        std::cout << fmt::format("{:<{}}  {:<12}  {:>6}  {:>9}  {}\n", name, w,
                                 r.manifest.substr(7, 12), r.layers.size(), human_size(r.size),
                                 r.created);
    return kOk;
}

int cmd_inspect(const Store& store, const std::string& ref) {
    std::string key = find_key(store, ref);
    ImageRecord r = *store.find(key);
    json j = record_json(store, key, r);
    try {
        const std::string what = "config " + r.config;
        j["config"] = parse_json(
            read_regular(open_regular(-1, store.blob_path(r.config), kMaxConfigBytes, what), what),
            what);
    } catch (const std::exception& e) {
        j["config"] = nullptr;
        cntr::log::warn("config blob {} unreadable: {}", r.config, printable(e.what()));
    }
    std::cout << j.dump(2) << "\n";
    return kOk;
}

}  // namespace

int main(int argc, char** argv) {
    cntr::log::set_program("cntr-fatimg");
    if (const char* d = std::getenv("CNTR_DEBUG"); d && std::string_view(d) == "1")
        cntr::log::set_verbose(true);

    CLI::App app{kDescription, "cntr-fatimg"};
    app.footer(kFooter);
    app.set_version_flag("-V,--version", std::string("cntr-fatimg ") + cntr::kVersionString);
    app.require_subcommand(1);
    StoreConfig cfg;
    bool verbose = false;
    app.add_option("--root", cfg.root,
                   "Image store directory (default: $CNTR_IMAGE_STORE or /var/lib/cntr/images)");
    app.add_flag("-v,--verbose", verbose, "Print debug messages");

    std::string ref, name, format = "table", tls = "true";
    std::string creds;
    auto* pull = app.add_subcommand("pull",
                                    "Pull an image from a registry into the store and unpack it "
                                    "(only the manifest is fetched if it is up to date)");
    pull->add_option("reference", ref,
                     "[docker://]NAME[:TAG][@DIGEST] (or any source `import` takes)")
        ->required();
    pull->add_option("--creds", creds,
                     "Registry credentials USER:PASSWORD (default: from the auth files)");
    pull->add_option("--tls-verify", tls, "Verify the registry's TLS certificate (default true)")
        ->check(CLI::IsMember({"true", "false"}));
    bool quiet = false;
    pull->add_flag("-q,--quiet", quiet, "No progress output");
    std::string platform, max_size;
    uint64_t max_entries = 0;
    for (auto* sub : {pull}) {
        sub->add_option("--platform", platform,
                        "Image of an index to use, OS/ARCH[/VARIANT] (default: this host's, " +
                            host_platform().str() + ")");
    }

    auto* imp = app.add_subcommand(
        "import", "Import an image from a local source into the store and unpack it");
    imp->add_option(
           "source", ref,
           "docker-archive:PATH | oci-archive:PATH | oci:DIR[:TAG] | docker-daemon:NAME[:TAG]")
        ->required();
    imp->add_option("--name", name,
                    "Record the image under this name (NAME[:TAG]) instead of the source");
    imp->add_option("--platform", platform,
                    "Image of an index to use, OS/ARCH[/VARIANT] (default: this host's)");
    for (auto* sub : {pull, imp}) {
        sub->add_option("--max-image-size", max_size,
                        "Refuse an image that unpacks to more than SIZE bytes (K/M/G/T suffixes; "
                        "default $CNTR_FATIMG_MAX_IMAGE_SIZE or 32G)");
        sub->add_option("--max-image-entries", max_entries,
                        "Refuse an image of more than N tar entries (default "
                        "$CNTR_FATIMG_MAX_IMAGE_ENTRIES or 2000000)");
    }

    auto* ls = app.add_subcommand("ls", "List the images in the store");
    ls->add_option("--format", format, "table (default) or json")
        ->check(CLI::IsMember({"table", "json"}));

    auto* inspect = app.add_subcommand(
        "inspect", "Print an image's digest, layers, config, size and rootfs as JSON");
    inspect->add_option("reference", ref, "Image name as shown by `ls`")->required();
    auto* path = app.add_subcommand(
        "path", "Print the directory of an image's unpacked root (exit 1 if absent)");
    path->add_option("reference", ref, "Image name as shown by `ls`")->required();
    auto* rm = app.add_subcommand(
        "rm", "Remove an image name; its rootfs goes when no other name uses it");
    rm->add_option("reference", ref, "Image name as shown by `ls`")->required();
    auto* gc = app.add_subcommand(
        "gc", "Remove unreferenced blobs and rootfs directories and stale temporary files");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? kOk : kUsage;
    }
    if (verbose) cntr::log::set_verbose(true);
    if (!creds.empty()) cfg.creds = creds;
    cfg.tls_verify = tls == "true";
    cfg.progress = !quiet;
    cfg.platform = platform;

    try {
        if (!max_size.empty()) cfg.max_image_bytes = parse_size(max_size, "--max-image-size");
        if (max_entries > 0) cfg.max_image_entries = max_entries;
        if (*pull) {
            std::cout << ensure_rootfs(ref, PullPolicy::always, cfg) << "\n";
            return kOk;
        }
        if (*imp) {
            std::cout << import_image(ref, name, cfg) << "\n";
            return kOk;
        }
        Store store(store_root(cfg));
        if (*ls) return cmd_ls(store, format);
        if (*inspect) return cmd_inspect(store, ref);
        if (*path) {
            std::string key = find_key(store, ref);
            auto p = store.ready_rootfs(key);
            if (!p)
                throw cntr::UserError(fmt::format(
                    "image {} is recorded but its rootfs is missing; pull it again", key));
            std::cout << *p << "\n";
            return kOk;
        }
        if (*rm) {
            auto lock = store.lock();
            std::string key = find_key(store, ref);
            store.remove(key);
            std::cout << "removed " << key << "\n";
            return kOk;
        }
        if (*gc) {
            auto lock = store.lock();
            auto st = store.gc();
            std::cout << fmt::format(
                "removed {} blob(s) ({}), {} rootfs dir(s), {} stale temporary dir(s)\n", st.blobs,
                human_size(st.bytes), st.rootfs, lock.stale_removed());
            return kOk;
        }
    } catch (const std::exception& e) {
        // Names from the store or an image may hold terminal escapes: never print raw.
        cntr::log::error("{}", printable(e.what()));
        return kError;
    }
    return kUsage;
}
