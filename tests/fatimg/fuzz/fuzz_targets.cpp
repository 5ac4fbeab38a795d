// libFuzzer targets for the parsers that read registry and image input. One source,
// one target per build: scripts/fuzz-fatimg.sh compiles it with -DFUZZ_TARGET=N.
//   reference  parse_reference (the distribution grammar and the transports)
//   manifest   parse_manifest (docker schema 2 / OCI image manifest)
//   index      pick_platform_manifest (OCI index / docker manifest list)
//   config     parse_json of a config and the walk cntr does over it (Env)
//   challenge  parse_challenge + check_realm + realm_may_see_credentials
//   auth       find_credentials over an auth.json / docker config.json
//   layer      unpack_layers of two layers cut from the input (tar, gzip or zstd, as
//              byte 0 says; bytes 1-2 where the first ends) into a fresh directory
// Every target must either return or throw cntr::UserError: anything else (another
// exception, a crash, a sanitizer report, a hang, unbounded memory) is a finding.
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

#include "auth.hpp"
#include "error.hpp"
#include "fs_util.hpp"
#include "importers.hpp"
#include "json_limits.hpp"
#include "platform.hpp"
#include "reference.hpp"
#include "store.hpp"
#include "unpack.hpp"
#include "url_policy.hpp"

namespace {

using namespace cntr::fatimg;

[[maybe_unused]] void reference(const std::string& s) { parse_reference(s); }

[[maybe_unused]] void manifest(const std::string& s) { parse_manifest(s, "fuzz"); }

[[maybe_unused]] void index(const std::string& s) {
    static const Platform p = host_platform();
    pick_platform_manifest(s, "fuzz", p);
}

[[maybe_unused]] void config(const std::string& s) {
    auto j = parse_json(s, "fuzz");
    if (j.is_object() && j.contains("config") && j["config"].is_object()) {
        const auto& c = j["config"];
        if (c.contains("Env") && c["Env"].is_array())
            for (const auto& e : c["Env"])
                if (e.is_string()) (void)e.get<std::string>();
    }
    (void)j.dump(2);  // what inspect prints
}

[[maybe_unused]] void challenge(const std::string& s) {
    std::string scheme;
    auto params = parse_challenge(s, scheme);
    auto realm = params["realm"];
    Url u = check_realm(realm, "registry.example.com", false);
    (void)realm_may_see_credentials(u, "registry.example.com");
    (void)check_realm(realm, "127.0.0.1:5000", true);
}

[[maybe_unused]] void auth(const std::string& s) {
    // The input is the auth file; PATH names nothing, so a "credHelpers" or
    // "credsStore" entry of the input cannot run a program (the helper's own
    // output is checked by fatimg_hostile_test's real helper).
    static const std::string path = [] {
        ::setenv("PATH", "/nonexistent-cntr-fuzz-path", 1);
        std::string p = "/dev/shm/cntr-fuzz-auth-" + std::to_string(::getpid()) + ".json";
        ::setenv("REGISTRY_AUTH_FILE", p.c_str(), 1);
        return p;
    }();
    std::ofstream(path, std::ios::binary | std::ios::trunc) << s;
    (void)find_credentials("registry.example.com:5000", std::nullopt);
    (void)find_credentials("docker.io", std::nullopt);
}

[[maybe_unused]] void layer(const std::string& s) {
    if (s.size() < 3) return;
    static const std::string dir = "/dev/shm/cntr-fuzz-layer-" + std::to_string(::getpid());
    static const char* const types[] = {"application/vnd.oci.image.layer.v1.tar",
                                        "application/vnd.oci.image.layer.v1.tar+gzip",
                                        "application/vnd.oci.image.layer.v1.tar+zstd"};
    const std::string type = types[static_cast<unsigned char>(s[0]) % 3];
    const std::string body = s.substr(3);
    const size_t cut = std::min<size_t>(
        body.size(), static_cast<unsigned char>(s[1]) << 8 | static_cast<unsigned char>(s[2]));
    remove_tree(dir);
    ::mkdir(dir.c_str(), 0700);
    ::mkdir((dir + "/root").c_str(), 0755);
    std::ofstream(dir + "/l1", std::ios::binary) << body.substr(0, cut);
    std::ofstream(dir + "/l2", std::ios::binary) << body.substr(cut);
    const std::vector<LayerFile> layers = {{dir + "/l1", "sha256:l1", type},
                                           {dir + "/l2", "sha256:l2", type}};
    ImageLimits limits;
    limits.max_bytes = 64ull << 20;
    limits.max_entries = 10000;
    unpack_layers(dir + "/root", layers, limits);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string s(reinterpret_cast<const char*>(data), size);
    try {
        FUZZ_TARGET(s);
    } catch (const cntr::UserError&) {
    }
    return 0;
}
