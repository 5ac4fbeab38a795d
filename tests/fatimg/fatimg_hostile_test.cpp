// cntr-fatimg against hostile registries and image files (issue 13's table, one test
// per row). Registries here are real HTTP peers written by the test (HostileServer: a
// listening socket on 127.0.0.1 serving crafted replies); images are built byte by
// byte with image_builder. Every run of cntr-fatimg is bounded: a deadline kills a
// hang (which fails the test), run_measured reports the peak RSS (wait4), and the
// servers count the bytes the client accepted, so "read a 256 MiB body" and "stopped
// after 64 KiB" are told apart without a timing assertion.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "fatimg_test_util.hpp"
#include "hostile_server.hpp"

namespace cntr::fatimg::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Handler = HostileServer::Handler;

constexpr uint64_t kHuge = 256u << 20;     // what a hostile server offers
constexpr uint64_t kAccepted = 32u << 20;  // at most this may be taken (socket buffers)
constexpr long kMaxRssKib = 512 * 1024;    // ASan build: ~100 MiB is the baseline
const auto npos = std::string::npos;

// An image as a registry serves it: manifest text and blobs by digest.
struct Served {
    std::string manifest, manifest_digest;
    std::map<std::string, std::string> blobs;
    json parsed;
};

Served load_layout(const std::string& dir) {
    Served s;
    auto index = json::parse(read_text(dir + "/index.json"));
    s.manifest_digest = index["manifests"][0]["digest"];
    for (const auto& e : fs::directory_iterator(dir + "/blobs/sha256"))
        s.blobs["sha256:" + e.path().filename().string()] = read_text(e.path().string());
    s.manifest = s.blobs[s.manifest_digest];
    s.parsed = json::parse(s.manifest);
    return s;
}

// Serves `img` as repository "tools", tag "v1", anonymously; `blob_override` may
// answer a blob request itself (return true when it did).
Handler registry_of(
    const Served& img,
    std::function<bool(HostileServer&, int, const std::string&)> blob_override = nullptr) {
    return [img, blob_override](HostileServer& s, int fd, const HttpRequest& r) {
        if (r.path == "/v2/") {
            s.reply(fd, 200, {"Content-Type: application/json"}, "{}");
        } else if (r.path == "/v2/tools/manifests/v1" ||
                   r.path == "/v2/tools/manifests/" + img.manifest_digest) {
            s.reply(fd, 200, {"Content-Type: application/vnd.oci.image.manifest.v1+json"},
                    img.manifest);
        } else if (r.path.starts_with("/v2/tools/blobs/")) {
            std::string d = r.path.substr(16);
            if (blob_override && blob_override(s, fd, d)) return;
            auto it = img.blobs.find(d);
            if (it == img.blobs.end()) return void(s.reply(fd, 404, {}, ""));
            s.reply(fd, 200, {}, it->second);
        } else {
            s.reply(fd, 404, {}, "");
        }
    };
}

class Hostile : public ::testing::Test {
  protected:
    // cntr-fatimg with no credentials of the machine's (HOME and the auth files are
    // the scratch directory's) and extra environment `env`.
    Measured fatimg_run(const std::vector<std::string>& args,
                        const std::vector<std::string>& env = {},
                        std::chrono::seconds deadline = std::chrono::seconds(60)) {
        std::vector<std::string> argv = {"env",
                                         "-u",
                                         "REGISTRY_AUTH_FILE",
                                         "-u",
                                         "XDG_RUNTIME_DIR",
                                         "-u",
                                         "DOCKER_CONFIG",
                                         "HOME=" + scratch.dir()};
        argv.insert(argv.end(), env.begin(), env.end());
        argv.insert(argv.end(), {fatimg_binary(), "--root", scratch.store()});
        argv.insert(argv.end(), args.begin(), args.end());
        return run_measured(argv, deadline);
    }
    std::string layout(const std::string& name, const std::vector<Layer>& layers,
                       const std::string& config = "") {
        std::string dir = scratch.dir() + "/" + name;
        write_oci_layout(dir, "v1", layers, config);
        return dir;
    }
    static std::vector<Layer> tiny() {
        Layer l;
        l.entries = {file("etc/marker", "tiny")};
        return {l};
    }
    Scratch scratch;
};

// ---- 1: only http(s), for the realm and for redirects ------------------------------

TEST_F(Hostile, RealmAndRedirectsNeverLeaveHttp) {
    HostileServer victim(
        [](HostileServer& s, int fd, const HttpRequest&) { s.reply(fd, 200, {}, "+OK\r\n"); });
    const std::string gopher = "gopher://" + victim.hostport() + "/_SET%20pwned%201%0D%0A";
    HostileServer reg([&](HostileServer& s, int fd, const HttpRequest&) {
        s.reply(fd, 401, {"WWW-Authenticate: Bearer realm=\"" + gopher + "\",service=x"}, "");
    });
    auto m = fatimg_run({"pull", reg.hostport() + "/tools:v1"});
    EXPECT_EQ(m.exit_code, 1) << m.err;
    EXPECT_NE(m.err.find("realm"), npos) << m.err;
    EXPECT_EQ(victim.connections(), 0) << "the gopher:// realm was contacted";

    for (const char* scheme : {"dict", "ftp"}) {
        HostileServer redirecting([&](HostileServer& s, int fd, const HttpRequest& r) {
            if (r.path == "/v2/") return void(s.reply(fd, 200, {}, "{}"));
            s.reply(fd, 302,
                    {std::string("Location: ") + scheme + "://" + victim.hostport() + "/x"}, "");
        });
        auto r = fatimg_run({"pull", redirecting.hostport() + "/tools:v1"});
        EXPECT_EQ(r.exit_code, 1) << r.err;
        EXPECT_EQ(victim.connections(), 0) << "a redirect to " << scheme << ":// was followed";
    }
}

// ---- 2: deep JSON ------------------------------------------------------------------

TEST_F(Hostile, DeeplyNestedJsonIsRefusedNotACrash) {
    const std::string deep =
        "{\"manifests\":" + std::string(1000000, '[') + std::string(1000000, ']') + "}";
    HostileServer reg([&](HostileServer& s, int fd, const HttpRequest& r) {
        if (r.path == "/v2/") return void(s.reply(fd, 200, {}, "{}"));
        s.reply(fd, 200, {"Content-Type: application/vnd.oci.image.index.v1+json"}, deep);
    });
    auto m = fatimg_run({"pull", reg.hostport() + "/tools:v1"});
    EXPECT_EQ(m.exit_code, 1) << m.err.substr(0, 2000);
    EXPECT_NE(m.err.find("nested more than 64 levels"), npos) << m.err.substr(0, 2000);
    EXPECT_LT(m.max_rss_kib, kMaxRssKib);

    // The same as an OCI layout's index.json.
    std::string dir = layout("deep-index", tiny());
    std::ofstream(dir + "/index.json", std::ios::trunc) << deep;
    auto l = fatimg_run({"import", "oci:" + dir});
    EXPECT_EQ(l.exit_code, 1) << l.err.substr(0, 2000);
    EXPECT_NE(l.err.find("nested more than 64 levels"), npos) << l.err.substr(0, 2000);
}

// ---- 3: transfer budgets and low-speed timeout --------------------------------------

TEST_F(Hostile, BlobLongerThanItsDescriptorIsCutAtTheDeclaredSize) {
    Served img = load_layout(layout("long-blob", tiny()));
    const std::string config = img.parsed["config"]["digest"];
    const uint64_t declared = img.parsed["config"]["size"];
    HostileServer reg(registry_of(img, [&](HostileServer& s, int fd, const std::string& d) {
        if (d != config) return false;
        s.head(fd, 200, {});
        s.stream_zeros(fd, kHuge);
        return true;
    }));
    auto m = fatimg_run({"pull", reg.hostport() + "/tools:v1"});
    EXPECT_EQ(m.exit_code, 1) << m.err;
    EXPECT_NE(m.err.find("more than the " + std::to_string(declared) + " bytes"), npos) << m.err;
    EXPECT_LT(reg.bytes_sent(), kAccepted) << "the client read on past the declared size";
    EXPECT_TRUE(fs::is_empty(scratch.store() + "/tmp"));
}

TEST_F(Hostile, ErrorAndTokenBodiesAreReadOnlyUpToASmallBudget) {
    HostileServer error_reg([&](HostileServer& s, int fd, const HttpRequest& r) {
        if (r.path == "/v2/") return void(s.reply(fd, 200, {}, "{}"));
        s.head(fd, 500, {});
        s.stream_zeros(fd, kHuge);
    });
    auto m = fatimg_run({"pull", error_reg.hostport() + "/tools:v1"});
    EXPECT_EQ(m.exit_code, 1) << m.err;
    EXPECT_NE(m.err.find("HTTP 500"), npos) << m.err;
    EXPECT_LT(error_reg.bytes_sent(), kAccepted) << "the whole error body was read";
    EXPECT_LT(m.max_rss_kib, kMaxRssKib);

    HostileServer token([&](HostileServer& s, int fd, const HttpRequest&) {
        s.head(fd, 200, {"Content-Type: application/json"});
        s.stream_zeros(fd, kHuge);
    });
    HostileServer token_reg([&](HostileServer& s, int fd, const HttpRequest&) {
        s.reply(fd, 401,
                {"WWW-Authenticate: Bearer realm=\"http://" + token.hostport() + "/token\""}, "");
    });
    auto t = fatimg_run({"pull", token_reg.hostport() + "/tools:v1"});
    EXPECT_EQ(t.exit_code, 1) << t.err;
    EXPECT_NE(t.err.find("token server"), npos) << t.err;
    EXPECT_LT(token.bytes_sent(), kAccepted) << "the whole token body was read";
    EXPECT_LT(t.max_rss_kib, kMaxRssKib);
}

TEST_F(Hostile, TrickleOfTwoBytesPerSecondIsAborted) {
    HostileServer reg([&](HostileServer& s, int fd, const HttpRequest& r) {
        if (r.path == "/v2/") return void(s.reply(fd, 200, {}, "{}"));
        s.head(
            fd, 200,
            {"Content-Type: application/vnd.oci.image.manifest.v1+json", "Content-Length: 100000"});
        while (!s.stopping() && s.send_all(fd, "  ")) ::usleep(1000000);
    });
    // 2 s instead of the default 30 s below 1 KiB/s, to keep the test short; the
    // deadline (45 s) is what fails a client that never gives up.
    auto m = fatimg_run({"pull", reg.hostport() + "/tools:v1"}, {"CNTR_FATIMG_LOW_SPEED_TIME=2"},
                        std::chrono::seconds(45));
    EXPECT_FALSE(m.timed_out) << "the trickle was never aborted";
    EXPECT_EQ(m.exit_code, 1) << m.err;
    EXPECT_NE(m.err.find("too slow"), npos) << m.err;
    EXPECT_NE(m.err.find("CNTR_FATIMG_LOW_SPEED_TIME"), npos) << m.err;
}

// ---- 4: decompression bombs, sparse files, entry counts -----------------------------

std::string gzip(const std::string& data) { return cntr::test::run({"gzip", "-nc"}, data).out; }

TEST_F(Hostile, UnpackedBytesAndEntriesAreCappedWithAHintToRaiseTheCap) {
    Layer sparse;
    Entry big = file("big", "x");
    big.sparse_size = 1ull << 40;  // a 1 TiB file from a layer of a few hundred bytes
    sparse.entries = {big};
    auto m = fatimg_run({"import", "oci:" + layout("sparse", {sparse})});
    EXPECT_EQ(m.exit_code, 1) << m.err;
    EXPECT_NE(m.err.find("unpacks to more than"), npos) << m.err;
    EXPECT_NE(m.err.find("--max-image-size"), npos) << m.err;
    EXPECT_TRUE(fs::is_empty(scratch.store() + "/rootfs"));

    Layer many;
    for (int i = 0; i < 300; ++i) many.entries.push_back(file("f" + std::to_string(i), "x"));
    std::string dir = layout("many", {many});
    auto e = fatimg_run({"import", "oci:" + dir}, {"CNTR_FATIMG_MAX_IMAGE_ENTRIES=100"});
    EXPECT_EQ(e.exit_code, 1) << e.err;
    EXPECT_NE(e.err.find("more than 100 entries"), npos) << e.err;
    EXPECT_NE(e.err.find("--max-image-entries"), npos) << e.err;
    auto raised = fatimg_run({"import", "oci:" + dir, "--max-image-entries", "1000"},
                             {"CNTR_FATIMG_MAX_IMAGE_ENTRIES=100"});
    EXPECT_EQ(raised.exit_code, 0) << "the option raises the limit: " << raised.err;

    Layer mib;
    mib.entries = {file("mib", std::string(1u << 20, 'x'))};
    std::string dir2 = layout("mib", {mib});
    auto b = fatimg_run({"import", "oci:" + dir2, "--max-image-size", "512K"});
    EXPECT_EQ(b.exit_code, 1) << b.err;
    EXPECT_NE(b.err.find("more than 524288 bytes"), npos) << b.err;
}

TEST_F(Hostile, ChainedCompressionIsRefused) {
    Layer inner;
    inner.entries = {file("etc/marker", std::string(4096, 'z'))};
    Layer triple;
    triple.raw_blob = gzip(gzip(layer_blob(inner)));  // gzip in gzip in gzip
    triple.media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
    auto m = fatimg_run({"import", "oci:" + layout("triple", {triple})});
    EXPECT_EQ(m.exit_code, 1) << m.err;
    EXPECT_NE(m.err.find("gzip in gzip"), npos) << m.err;
    EXPECT_TRUE(fs::is_empty(scratch.store() + "/rootfs"));
}

// ---- 5: a deep tree does not wedge the store ----------------------------------------

TEST_F(Hostile, DeepTreeIsRemovedWithFewDescriptors) {
    std::string deep;
    for (int i = 0; i < 600; ++i) deep += "a/";
    Layer l;
    l.entries = {file(deep + "f", "deep")};
    auto imp = fatimg_run({"import", "oci:" + layout("deep", {l}), "--name", "deep:1"});
    ASSERT_EQ(imp.exit_code, 0) << imp.err;
    // 128 descriptors: one per level (the old recursion took two) would run out.
    auto rm = run_measured(
        {"prlimit", "--nofile=128", fatimg_binary(), "--root", scratch.store(), "rm", "deep:1"});
    EXPECT_EQ(rm.exit_code, 0) << rm.err;
    auto gc =
        run_measured({"prlimit", "--nofile=128", fatimg_binary(), "--root", scratch.store(), "gc"});
    EXPECT_EQ(gc.exit_code, 0) << gc.err;
    EXPECT_EQ(rm.err.find("could not remove"), npos) << rm.err;
    EXPECT_TRUE(fs::is_empty(scratch.store() + "/tmp"));
    EXPECT_TRUE(fs::is_empty(scratch.store() + "/rootfs"));
}

// ---- 6: loopback is an address, not a text prefix -----------------------------------

TEST_F(Hostile, HostNamed127DotSomethingIsNotLoopback) {
    HostileServer reg([&](HostileServer& s, int fd, const HttpRequest&) {
        s.reply(fd, 401, {"WWW-Authenticate: Basic realm=\"x\""}, "");
    });
    const std::string port = reg.hostport().substr(reg.hostport().rfind(':') + 1);
    // 127.evil.test resolves to 127.0.0.1 in a private mount namespace's /etc/hosts.
    std::string hosts = scratch.dir() + "/hosts";
    std::ofstream(hosts) << "127.0.0.1 localhost\n127.0.0.1 127.evil.test\n";
    auto m =
        run_measured({"unshare", "-m", "sh", "-c", "mount --bind \"$0\" /etc/hosts && exec \"$@\"",
                      hosts, fatimg_binary(), "--root", scratch.store(), "pull",
                      "127.evil.test:" + port + "/tools:v1", "--creds", "user:secret"});
    EXPECT_EQ(m.exit_code, 1) << m.err;
    for (const auto& r : reg.requests())
        EXPECT_EQ(r.headers.count("authorization"), 0u)
            << "credentials went over plain HTTP: " << r.head;
    EXPECT_NE(m.err.find("TLS"), npos) << m.err;
}

// ---- 7: credentials only to the registry's own realm --------------------------------

TEST_F(Hostile, CredentialsAreNotSentToARealmOnAnotherHost) {
    auto token_server = [](HostileServer& s, int fd, const HttpRequest&) {
        s.reply(fd, 200, {"Content-Type: application/json"}, R"({"token":"abc"})");
    };
    auto registry_with_realm = [](const std::string& realm) {
        return [realm](HostileServer& s, int fd, const HttpRequest& r) {
            auto a = r.headers.find("authorization");
            if (a != r.headers.end() && a->second == "Bearer abc")
                return void(s.reply(fd, 404, {}, ""));
            s.reply(fd, 401, {"WWW-Authenticate: Bearer realm=\"" + realm + "\""}, "");
        };
    };
    HostileServer elsewhere(token_server, "127.0.0.2");
    HostileServer reg(registry_with_realm("http://" + elsewhere.hostport() + "/token"));
    auto m = fatimg_run({"pull", reg.hostport() + "/tools:v1", "--creds", "user:secret"});
    EXPECT_EQ(m.exit_code, 1) << m.err;
    ASSERT_FALSE(elsewhere.requests().empty()) << m.err;
    for (const auto& r : elsewhere.requests())
        EXPECT_EQ(r.headers.count("authorization"), 0u) << "credentials sent to " << r.head;

    // The registry's own host (another port) gets them: the check above can fail.
    HostileServer own(token_server, "127.0.0.1");
    HostileServer reg2(registry_with_realm("http://" + own.hostport() + "/token"));
    auto ok = fatimg_run({"pull", reg2.hostport() + "/tools:v1", "--creds", "user:secret"});
    ASSERT_FALSE(own.requests().empty()) << ok.err;
    EXPECT_EQ(own.requests()[0].headers["authorization"],
              "Basic " + cntr::test::trim(cntr::test::sh("printf user:secret | base64").out));
}

// ---- 8: header injection through a token --------------------------------------------

TEST_F(Hostile, TokenWithCrLfIsNotPastedIntoAHeader) {
    HostileServer token([](HostileServer& s, int fd, const HttpRequest&) {
        s.reply(fd, 200, {"Content-Type: application/json"},
                R"({"token":"abc\r\nX-Injected: evil"})");
    });
    HostileServer reg([&](HostileServer& s, int fd, const HttpRequest& r) {
        if (r.headers.count("authorization")) return void(s.reply(fd, 404, {}, ""));
        s.reply(fd, 401,
                {"WWW-Authenticate: Bearer realm=\"http://" + token.hostport() + "/token\""}, "");
    });
    auto m = fatimg_run({"pull", reg.hostport() + "/tools:v1"});
    EXPECT_EQ(m.exit_code, 1) << m.err;
    EXPECT_NE(m.err.find("no usable token"), npos) << m.err;
    for (const auto& r : reg.requests())
        EXPECT_EQ(r.head.find("X-Injected"), npos) << "injected header arrived: " << r.head;
}

// ---- 9: no decompression filter but the media type's --------------------------------

TEST_F(Hostile, ExternalDecompressorsAreNeverRunAndFiltersMatchTheMediaType) {
    // libarchive decodes lzop by running `lzop -d` from $PATH when it lacks liblzo2.
    std::string bin = scratch.dir() + "/bin", marker = scratch.dir() + "/lzop-ran";
    fs::create_directories(bin);
    std::ofstream(bin + "/lzop") << "#!/bin/sh\ntouch " << marker << "\ncat >/dev/null\n";
    fs::permissions(bin + "/lzop", fs::perms::owner_all);
    Layer lzop;
    lzop.raw_blob = std::string("\x89LZO\x00\r\n\x1a\n", 9) + std::string(512, '\0');  // magic
    lzop.media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
    const char* path = std::getenv("PATH");
    auto m = fatimg_run({"import", "oci:" + layout("lzop", {lzop})},
                        {"PATH=" + bin + ":" + (path ? path : "/usr/bin:/bin")});
    EXPECT_EQ(m.exit_code, 1) << m.err;
    EXPECT_FALSE(fs::exists(marker)) << "cntr-fatimg ran lzop from $PATH";

    // An xz layer that claims to be gzip.
    Layer inner;
    inner.entries = {file("x", "x")};
    inner.compression = Compression::none;
    Layer xz;
    xz.raw_blob = cntr::test::run({"xz", "-c"}, layer_blob(inner)).out;
    xz.media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
    ASSERT_FALSE(xz.raw_blob.empty());
    auto x = fatimg_run({"import", "oci:" + layout("xz", {xz})});
    EXPECT_EQ(x.exit_code, 1) << x.err;
    EXPECT_TRUE(fs::is_empty(scratch.store() + "/rootfs"));
}

// ---- 10: the reference grammar -------------------------------------------------------

TEST_F(Hostile, ReferencesOutsideTheGrammarNeverReachTheNetwork) {
    HostileServer reg(
        [](HostileServer& s, int fd, const HttpRequest&) { s.reply(fd, 200, {}, "{}"); });
    const std::string hp = reg.hostport();
    for (const std::string& bad : {hp + "?x=/tools:v1", hp + "#x/tools:v1",
                                   hp + "/tools:", hp + "/to%2fols:v1", hp + "/a/../tools:v1"}) {
        auto m = fatimg_run({"pull", bad});
        EXPECT_EQ(m.exit_code, 1) << bad << ": " << m.err;
        EXPECT_NE(m.err.find("invalid image reference"), npos) << bad << ": " << m.err;
    }
    EXPECT_TRUE(reg.requests().empty()) << reg.requests()[0].head;
}

// ---- 11: oci: inputs ------------------------------------------------------------------

TEST_F(Hostile, OciLayoutFilesMustBeRegularFilesInsideTheLayout) {
    // A blob that is a symlink to a file outside DIR (the same bytes, so only the
    // symlink can be refused).
    std::string dir = layout("symlinked", tiny());
    Served img = load_layout(dir);
    std::string layer = img.parsed["layers"][0]["digest"];
    std::string blob = dir + "/blobs/sha256/" + layer.substr(7);
    fs::create_directories(scratch.dir() + "/outside");
    fs::rename(blob, scratch.dir() + "/outside/blob");
    fs::create_symlink(scratch.dir() + "/outside/blob", blob);
    auto m = fatimg_run({"import", "oci:" + dir});
    EXPECT_EQ(m.exit_code, 1) << m.err;
    EXPECT_NE(m.err.find("symbolic link"), npos) << m.err;

    // index.json as a FIFO nobody writes: refused at once instead of blocking with
    // the store locked (the deadline fails a hang).
    std::string fifo_dir = layout("fifo", tiny());
    fs::remove(fifo_dir + "/index.json");
    ASSERT_EQ(::mkfifo((fifo_dir + "/index.json").c_str(), 0600), 0);
    auto f = fatimg_run({"import", "oci:" + fifo_dir}, {}, std::chrono::seconds(20));
    EXPECT_FALSE(f.timed_out) << "blocked on a FIFO";
    EXPECT_EQ(f.exit_code, 1) << f.err;
    EXPECT_NE(f.err.find("not a regular file"), npos) << f.err;
}

// ---- 12: a deep config cannot make inspect quadratic ---------------------------------

TEST_F(Hostile, DeepConfigIsRefusedAndInspectStaysSmall) {
    const std::string config = "{\"a\":" + std::string(20000, '[') + std::string(20000, ']') + "}";
    auto imp =
        fatimg_run({"import", "oci:" + layout("deep-config", tiny(), config), "--name", "deep:1"});
    EXPECT_EQ(imp.exit_code, 1) << imp.err;
    EXPECT_NE(imp.err.find("nested more than 64 levels"), npos) << imp.err;
    // Refused on import, so there is nothing to inspect (before, inspect recursed as
    // deep as the config, and dump(2) of it grew with the square of its depth).
    auto in = fatimg_run({"inspect", "deep:1"});
    EXPECT_EQ(in.exit_code, 1) << in.err.substr(0, 300);
    EXPECT_NE(in.err.find("is not in the store"), npos) << in.err.substr(0, 300);
    EXPECT_LT(in.max_rss_kib, kMaxRssKib) << "inspect of a 40 KB config";
    EXPECT_LT(in.out.size(), 1u << 20);
}

// ---- 13: every error a UserError with printable text ---------------------------------

TEST_F(Hostile, ErrorsAreUserErrorsWithPrintableText) {
    // A digest that is a number: a JSON type error, told as what is wrong where.
    std::string dir = layout("typed", tiny());
    std::ofstream(dir + "/index.json", std::ios::trunc)
        << R"({"schemaVersion":2,"manifests":[{"digest":5,"size":1}]})";
    auto t = fatimg_run({"import", "oci:" + dir});
    EXPECT_EQ(t.exit_code, 1) << t.err;
    EXPECT_EQ(t.err.find("json.exception"), npos) << t.err;
    EXPECT_NE(t.err.find("\"digest\""), npos) << t.err;

    // "schemaVersion" out of int's range: 6e22 (a float: converting it to int is
    // undefined behaviour) and 2^32 + 2 (an integer that a conversion to int wraps to 2).
    for (const char* version : {"6e22", "4294967298"}) {
        std::string sv = layout(std::string("schema-") + version, tiny());
        Served img = load_layout(sv);
        std::string m = img.manifest;
        m.replace(m.find("\"schemaVersion\":2"), 17, std::string("\"schemaVersion\":") + version);
        std::string hex = sha256_hex(m);
        std::ofstream(sv + "/blobs/sha256/" + hex) << m;
        json idx = json::parse(read_text(sv + "/index.json"));
        idx["manifests"][0]["digest"] = "sha256:" + hex;
        idx["manifests"][0]["size"] = m.size();
        std::ofstream(sv + "/index.json", std::ios::trunc) << idx.dump();
        auto s = fatimg_run({"import", "oci:" + sv});
        EXPECT_EQ(s.exit_code, 1) << version << ": " << s.err;
        EXPECT_NE(s.err.find("schema version 2"), npos) << version << ": " << s.err;
        EXPECT_EQ(s.err.find("runtime error"), npos) << version << ": " << s.err;
    }

    // Terminal escapes in an entry name reach the error only as visible escapes.
    Layer esc;
    esc.entries = {file("\x1b]0;owned\x07\x1b[2J/../x", "x")};
    auto e = fatimg_run({"import", "oci:" + layout("escape", {esc})});
    EXPECT_EQ(e.exit_code, 1) << e.err;
    EXPECT_EQ(e.err.find('\x1b'), npos) << "raw ESC on stderr";
    EXPECT_EQ(e.err.find('\x07'), npos) << "raw BEL on stderr";
    EXPECT_NE(e.err.find("\\x1b]0;owned\\x07"), npos) << e.err;
}

// ---- bounded parallel layer downloads ------------------------------------------------

TEST_F(Hostile, LayersAreDownloadedInParallelAtMostThreeAtATime) {
    std::vector<Layer> layers;
    for (int i = 0; i < 6; ++i) {
        Layer l;
        l.entries = {file("layer" + std::to_string(i), std::string(1000, 'a' + i))};
        layers.push_back(l);
    }
    Served img = load_layout(layout("parallel", layers));
    // Blob requests the server holds unanswered: a download of the client's. Counting
    // connections instead counted one the client had finished reading but the server
    // had not closed yet (4 seen once on a loaded machine); a request stops counting
    // before a byte of its answer is sent, so it cannot overlap the client's next one.
    std::atomic<int> waiting{0}, max_waiting{0};
    // Each blob answer waits (at most 5 s) until a second download is open, so a client
    // fetching one blob after another still finishes and is seen doing so; then 200 ms
    // more, so that every download the client has open at once is held together.
    HostileServer reg(registry_of(img, [&](HostileServer& s, int, const std::string&) {
        const int now = ++waiting;
        for (int m = max_waiting; now > m && !max_waiting.compare_exchange_weak(m, now);) {
        }
        for (int i = 0; i < 100 && waiting < 2 && !s.stopping(); ++i) ::usleep(50000);
        ::usleep(200000);
        --waiting;
        return false;  // served by registry_of
    }));
    auto m = fatimg_run({"pull", reg.hostport() + "/tools:v1"});
    ASSERT_EQ(m.exit_code, 0) << m.err;
    for (int i = 0; i < 6; ++i)
        EXPECT_EQ(read_text(cntr::test::trim(m.out) + "/layer" + std::to_string(i)),
                  std::string(1000, 'a' + i));
    EXPECT_GE(max_waiting, 2) << "blobs were fetched one after another";
    EXPECT_LE(max_waiting, 3) << "more than 3 downloads at once";
}

}  // namespace
}  // namespace cntr::fatimg::test
