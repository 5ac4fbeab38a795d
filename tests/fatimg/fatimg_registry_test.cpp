// cntr-fatimg against real registries (tests/engines/registry-fixture.sh: Debian's
// docker-registry, anonymous over HTTP and TLS + htpasswd): pull, auth, TLS trust,
// digest verification with a blob tampered in the registry's storage, hostile
// layers, concurrent pulls and a pull killed half-way.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <random>

#include "fatimg_test_util.hpp"

extern char** environ;

namespace cntr::fatimg::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// A unique repository name per test run, so that reruns never see old pushes.
std::string unique(const std::string& base) {
    static const std::string run = std::to_string(::getpid());
    return base + "-" + run;
}

std::vector<Layer> small_image(const std::string& marker, Compression c = Compression::gzip) {
    Layer l1;
    l1.compression = c;
    l1.entries = {dir("etc"), file("etc/marker", marker), file("etc/gone", "x"),
                  file("bin/tool", "t", 0755)};
    Layer l2;
    l2.compression = c;
    l2.entries = {file("etc/.wh.gone", ""), hardlink("bin/tool2", "bin/tool")};
    return {l1, l2};
}

class FatimgRegistry : public ::testing::Test {
  protected:
    void SetUp() override {
        env = registry_env();
        ASSERT_FALSE(env["ANON"].empty())
            << "registry fixture not set up (tests/engines/registry-fixture.sh setup)";
    }
    std::string push_anon(const std::string& repo, const std::vector<Layer>& layers,
                          const std::vector<std::string>& extra = {}) {
        std::string layout = scratch.dir() + "/layout-" + repo;
        write_oci_layout(layout, "t", layers);
        std::string dest = env["ANON"] + "/" + unique(repo) + ":1";
        std::vector<std::string> args = {"--dest-tls-verify=false"};
        args.insert(args.end(), extra.begin(), extra.end());
        auto r = skopeo_push(layout, "t", dest, args);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return dest;
    }
    std::string push_tls(const std::string& repo, const std::vector<Layer>& layers) {
        std::string layout = scratch.dir() + "/layout-" + repo;
        write_oci_layout(layout, "t", layers);
        std::string dest = env["TLS"] + "/" + unique(repo) + ":1";
        auto r = skopeo_push(layout, "t", dest,
                             {"--dest-creds", env["USER"] + ":" + env["PASSWORD"],
                              "--dest-cert-dir", env["CERT_DIR"]});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return dest;
    }
    std::string creds() { return env["USER"] + ":" + env["PASSWORD"]; }

    std::map<std::string, std::string> env;
    Scratch scratch;
};

TEST_F(FatimgRegistry, PullAnonymousOciGzipZstdAndUncompressed) {
    for (auto c : {Compression::gzip, Compression::zstd, Compression::none}) {
        std::string name = c == Compression::gzip ? "gz" : c == Compression::zstd ? "zst" : "plain";
        std::string media = c == Compression::gzip   ? "application/vnd.oci.image.layer.v1.tar+gzip"
                            : c == Compression::zstd ? "application/vnd.oci.image.layer.v1.tar+zstd"
                                                     : "application/vnd.oci.image.layer.v1.tar";
        std::string layout = scratch.dir() + "/layout-raw-" + name;
        write_oci_layout(layout, "t", small_image("marker-" + name, c));
        std::string repo = unique("anon-" + name);
        ASSERT_EQ(push_raw(layout, env["ANON"], repo, "1"), "");
        std::string ref = env["ANON"] + "/" + repo + ":1";
        auto r = fatimg(scratch.store(), {"pull", ref});
        ASSERT_EQ(r.exit_code, 0) << name << ": " << r.err;
        std::string root = cntr::test::trim(r.out);
        EXPECT_EQ(read_text(root + "/etc/marker"), "marker-" + name);
        EXPECT_FALSE(fs::exists(root + "/etc/gone"));
        EXPECT_EQ(lstat_of(root + "/bin/tool").st_ino, lstat_of(root + "/bin/tool2").st_ino);
        EXPECT_TRUE(fs::is_directory(root + "/var/lib/cntr"));
        auto in = json::parse(fatimg(scratch.store(), {"inspect", ref}).out);
        EXPECT_EQ(in["layers"][0]["mediaType"], media) << "the registry served the layer as pushed";
    }
}

TEST_F(FatimgRegistry, PullDockerSchema2ViaDockerTransportPrefix) {
    std::string ref = push_anon("v2s2", small_image("docker-v2s2"), {"--format", "v2s2"});
    auto r = fatimg(scratch.store(), {"pull", "docker://" + ref});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(read_text(cntr::test::trim(r.out) + "/etc/marker"), "docker-v2s2");
    auto in = json::parse(fatimg(scratch.store(), {"inspect", ref}).out);
    EXPECT_EQ(in["layers"][0]["mediaType"], "application/vnd.docker.image.rootfs.diff.tar.gzip");
}

TEST_F(FatimgRegistry, PullImageIndexPicksHostPlatformOrPlatformOption) {
    std::string layout = scratch.dir() + "/multi";
    std::string arm = write_oci_layout(layout, "arm", small_image("this-is-arm64"));
    std::string amd = write_oci_layout(layout, "amd", small_image("this-is-amd64"));
    auto size_of = [&](const std::string& d) {
        return fs::file_size(layout + "/blobs/sha256/" + d.substr(7));
    };
    json index = {{"schemaVersion", 2},
                  {"mediaType", "application/vnd.oci.image.index.v1+json"},
                  {"manifests",
                   {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                     {"digest", arm},
                     {"size", size_of(arm)},
                     {"platform", {{"os", "linux"}, {"architecture", "arm64"}}}},
                    {{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                     {"digest", amd},
                     {"size", size_of(amd)},
                     {"platform", {{"os", "linux"}, {"architecture", "amd64"}}}}}}};
    std::string text = index.dump();
    std::string hex = sha256_hex(text);
    std::ofstream(layout + "/blobs/sha256/" + hex, std::ios::binary) << text;
    json top = {{"schemaVersion", 2},
                {"manifests",
                 {{{"mediaType", "application/vnd.oci.image.index.v1+json"},
                   {"digest", "sha256:" + hex},
                   {"size", text.size()},
                   {"annotations", {{"org.opencontainers.image.ref.name", "multi"}}}}}}};
    std::ofstream(layout + "/index.json", std::ios::trunc) << top.dump();
    std::string dest = env["ANON"] + "/" + unique("multi") + ":1";
    auto push = skopeo_push(layout, "multi", dest, {"--all", "--dest-tls-verify=false"});
    ASSERT_EQ(push.exit_code, 0) << push.err;
    auto r = fatimg(scratch.store(), {"pull", dest});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(read_text(cntr::test::trim(r.out) + "/etc/marker"), "this-is-amd64");
    // The same index from a local OCI layout resolves the same way.
    auto imp = fatimg(scratch.store(), {"import", "oci:" + layout + ":multi"});
    ASSERT_EQ(imp.exit_code, 0) << imp.err;
    EXPECT_EQ(cntr::test::trim(imp.out), cntr::test::trim(r.out));

    // --platform picks another image of the index, from the registry and the layout.
    auto on_arm = fatimg(scratch.dir() + "/store-arm", {"pull", dest, "--platform", "linux/arm64"});
    ASSERT_EQ(on_arm.exit_code, 0) << on_arm.err;
    EXPECT_EQ(read_text(cntr::test::trim(on_arm.out) + "/etc/marker"), "this-is-arm64");
    auto arm_imp = fatimg(scratch.dir() + "/store-arm2",
                          {"import", "oci:" + layout + ":multi", "--platform", "linux/arm64"});
    ASSERT_EQ(arm_imp.exit_code, 0) << arm_imp.err;
    EXPECT_EQ(fs::path(cntr::test::trim(arm_imp.out)).filename(),
              fs::path(cntr::test::trim(on_arm.out)).filename())
        << "the same manifest digest";
    // A platform the index lacks: the error lists what it offers.
    auto none = fatimg(scratch.dir() + "/store-none", {"pull", dest, "--platform", "linux/s390x"});
    EXPECT_EQ(none.exit_code, 1);
    EXPECT_NE(none.err.find("has no linux/s390x image (it offers: linux/arm64, linux/amd64)"),
              std::string::npos)
        << none.err;
    EXPECT_NE(none.err.find("--platform"), std::string::npos) << none.err;
}

TEST_F(FatimgRegistry, CredentialHelpersInDockersOrder) {
    std::string ref = push_tls("helper", small_image("via-helper"));
    // Real helper programs on $PATH, speaking the docker-credential-helpers protocol:
    // the server address on stdin, JSON on stdout, "not found" as a failing exit.
    std::string bin = scratch.dir() + "/bin", log = scratch.dir() + "/helper.log";
    fs::create_directories(bin);
    auto helper = [&](const std::string& name, const std::string& script) {
        std::ofstream(bin + "/docker-credential-" + name) << "#!/bin/sh\n" << script;
        fs::permissions(bin + "/docker-credential-" + name, fs::perms::owner_all);
    };
    auto answering = [&](const std::string& password) {
        return "read server\necho \"$1 $server\" >> " + log + "\n" +
               "if [ \"$1\" = get ] && [ \"$server\" = '" + env["TLS"] + "' ]; then\n" +
               "  printf '{\"ServerURL\":\"%s\",\"Username\":\"" + env["USER"] +
               "\",\"Secret\":\"" + password + "\"}' \"$server\"\n" +
               "else echo 'credentials not found in native keychain'; exit 1; fi\n";
    };
    helper("cntrtest", answering(env["PASSWORD"]));
    helper("cntrwrong", answering("wrong"));
    helper("cntrempty",
           "cat >/dev/null\necho 'credentials not found in native keychain'\nexit 1\n");
    const std::string b64 =
        cntr::test::trim(cntr::test::sh("printf %s '" + creds() + "' | base64 -w0").out);
    const char* path = std::getenv("PATH");
    int n = 0;
    auto pull_with = [&](const json& config) {
        std::string dir = scratch.dir() + "/docker" + std::to_string(++n);
        fs::create_directories(dir);
        std::ofstream(dir + "/config.json") << config.dump();
        return cntr::test::run({"env", "-u", "REGISTRY_AUTH_FILE", "-u", "XDG_RUNTIME_DIR",
                                "HOME=" + scratch.dir(), "DOCKER_CONFIG=" + dir,
                                "PATH=" + bin + ":" + (path ? path : "/usr/bin:/bin"),
                                fatimg_binary(), "--root", dir + "/store", "pull", ref});
    };
    // credHelpers for this registry.
    auto r1 = pull_with({{"credHelpers", {{env["TLS"], "cntrtest"}}}});
    EXPECT_EQ(r1.exit_code, 0) << r1.err;
    EXPECT_EQ(read_text(log), "get " + env["TLS"] + "\n");
    // credsStore for every registry.
    auto r2 = pull_with({{"credsStore", "cntrtest"}});
    EXPECT_EQ(r2.exit_code, 0) << r2.err;
    // credHelpers wins over credsStore: its wrong password is what the registry sees.
    auto r3 = pull_with({{"credHelpers", {{env["TLS"], "cntrwrong"}}}, {"credsStore", "cntrtest"}});
    EXPECT_EQ(r3.exit_code, 1);
    EXPECT_NE(r3.err.find("docker-credential-cntrwrong"), std::string::npos) << r3.err;
    // A helper without credentials for the registry passes on to credsStore, then auths.
    auto r4 = pull_with({{"credHelpers", {{env["TLS"], "cntrempty"}}}, {"credsStore", "cntrtest"}});
    EXPECT_EQ(r4.exit_code, 0) << r4.err;
    auto r5 = pull_with({{"credsStore", "cntrempty"}, {"auths", {{env["TLS"], {{"auth", b64}}}}}});
    EXPECT_EQ(r5.exit_code, 0) << r5.err;
    // A helper that is configured but not installed is an error naming it, not anonymity.
    auto r6 = pull_with({{"credsStore", "cntr-not-installed"}});
    EXPECT_EQ(r6.exit_code, 1);
    EXPECT_NE(r6.err.find("docker-credential-cntr-not-installed"), std::string::npos) << r6.err;
    EXPECT_NE(r6.err.find("not found in $PATH"), std::string::npos) << r6.err;
}

TEST_F(FatimgRegistry, PullTlsWithBasicAuthFromCredsAndAuthFiles) {
    std::string ref = push_tls("tls", small_image("over-tls"));
    auto r = fatimg(scratch.store(), {"pull", ref, "--creds", creds()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(read_text(cntr::test::trim(r.out) + "/etc/marker"), "over-tls");

    // $REGISTRY_AUTH_FILE (containers-auth.json format)
    std::string auth = scratch.dir() + "/auth.json";
    std::string b64 =
        cntr::test::trim(cntr::test::sh("printf %s '" + creds() + "' | base64 -w0").out);
    std::ofstream(auth) << json{{"auths", {{env["TLS"], {{"auth", b64}}}}}}.dump();
    auto r2 = cntr::test::run({"env", "REGISTRY_AUTH_FILE=" + auth, fatimg_binary(), "--root",
                               scratch.dir() + "/store2", "pull", ref});
    EXPECT_EQ(r2.exit_code, 0) << r2.err;

    // ${XDG_RUNTIME_DIR}/containers/auth.json
    fs::create_directories(scratch.dir() + "/xdg/containers");
    fs::copy_file(auth, scratch.dir() + "/xdg/containers/auth.json");
    auto rx =
        cntr::test::run({"env", "-u", "REGISTRY_AUTH_FILE",
                         "XDG_RUNTIME_DIR=" + scratch.dir() + "/xdg", "HOME=" + scratch.dir(),
                         fatimg_binary(), "--root", scratch.dir() + "/store-xdg", "pull", ref});
    EXPECT_EQ(rx.exit_code, 0) << rx.err;

    // ~/.docker/config.json
    fs::create_directories(scratch.dir() + "/home/.docker");
    fs::copy_file(auth, scratch.dir() + "/home/.docker/config.json");
    auto r3 = cntr::test::run({"env", "-u", "REGISTRY_AUTH_FILE", "-u", "XDG_RUNTIME_DIR", "-u",
                               "DOCKER_CONFIG", "HOME=" + scratch.dir() + "/home", fatimg_binary(),
                               "--root", scratch.dir() + "/store3", "pull", ref});
    EXPECT_EQ(r3.exit_code, 0) << r3.err;
}

TEST_F(FatimgRegistry, PullWithAnonymousBearerTokenLikeDockerHub) {
    // The token registry grants anonymous pull tokens and push only to the user.
    std::string layout = scratch.dir() + "/layout-token";
    write_oci_layout(layout, "t", small_image("bearer"));
    std::string ref = env["TOKEN"] + "/" + unique("token/img") + ":1";
    auto push = skopeo_push(layout, "t", ref, {"--dest-tls-verify=false", "--dest-creds", creds()});
    ASSERT_EQ(push.exit_code, 0) << push.err;
    auto r = cntr::test::run({"env", "-u", "REGISTRY_AUTH_FILE", "-u", "XDG_RUNTIME_DIR", "-u",
                              "DOCKER_CONFIG", "HOME=" + scratch.dir(), fatimg_binary(), "--root",
                              scratch.store(), "pull", ref});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(read_text(cntr::test::trim(r.out) + "/etc/marker"), "bearer");
    auto bad = fatimg(scratch.dir() + "/store2", {"pull", ref, "--creds", env["USER"] + ":wrong"});
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.err.find("rejected the credentials"), std::string::npos) << bad.err;
    auto with = fatimg(scratch.dir() + "/store3", {"pull", ref, "--creds", creds()});
    EXPECT_EQ(with.exit_code, 0) << with.err;
}

TEST_F(FatimgRegistry, WrongPasswordAndMissingCredentialsAreClearErrors) {
    std::string ref = push_tls("tls-bad", small_image("x"));
    auto r = fatimg(scratch.store(), {"pull", ref, "--creds", env["USER"] + ":wrong"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("rejected the credentials"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(env["USER"]), std::string::npos) << r.err;
    auto r2 = cntr::test::run({"env", "-u", "REGISTRY_AUTH_FILE", "-u", "XDG_RUNTIME_DIR", "-u",
                               "DOCKER_CONFIG", "HOME=" + scratch.dir(), fatimg_binary(), "--root",
                               scratch.store(), "pull", ref});
    EXPECT_EQ(r2.exit_code, 1);
    EXPECT_NE(r2.err.find("requires authentication"), std::string::npos) << r2.err;
    EXPECT_NE(r2.err.find("--creds"), std::string::npos) << r2.err;
}

TEST_F(FatimgRegistry, UnknownCaIsAClearErrorAndTlsVerifyFalseSkipsIt) {
    std::string ref = push_tls("tls-ca", small_image("ca"));
    auto r =
        cntr::test::run({"env", "CNTR_CERTS_DIRS=" + scratch.dir() + "/no-certs", fatimg_binary(),
                         "--root", scratch.store(), "pull", ref, "--creds", creds()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("--tls-verify=false"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("/etc/docker/certs.d/" + env["TLS"] + "/ca.crt"), std::string::npos)
        << r.err;
    auto ok = cntr::test::run({"env", "CNTR_CERTS_DIRS=" + scratch.dir() + "/no-certs",
                               fatimg_binary(), "--root", scratch.store(), "pull", ref, "--creds",
                               creds(), "--tls-verify=false"});
    EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

TEST_F(FatimgRegistry, TamperedBlobInRegistryStorageIsRefusedNamingDigest) {
    std::string ref = push_anon("tamper", small_image(unique("tamper-me")));
    // The first layer's blob in the registry's storage: flip one byte, keep the size.
    std::string layout = scratch.dir() + "/layout-tamper";
    auto idx = json::parse(read_text(layout + "/index.json"));
    auto manifest = json::parse(read_text(
        layout + "/blobs/sha256/" + idx["manifests"][0]["digest"].get<std::string>().substr(7)));
    std::string digest = manifest["layers"][0]["digest"];
    std::string hex = digest.substr(7);
    std::string data_file = env["ANON_STORAGE"] + "/docker/registry/v2/blobs/sha256/" +
                            hex.substr(0, 2) + "/" + hex + "/data";
    ASSERT_TRUE(fs::exists(data_file)) << data_file;
    std::string data = read_text(data_file);
    data[data.size() / 2] ^= 0x01;
    std::ofstream(data_file, std::ios::binary | std::ios::trunc) << data;

    ASSERT_EQ(fatimg(scratch.store(), {"ls"}).exit_code, 0);
    auto before = snapshot(scratch.store());
    auto r = fatimg(scratch.store(), {"pull", ref});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find(digest), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("digest mismatch"), std::string::npos) << r.err;
    EXPECT_EQ(snapshot(scratch.store()), before);
}

TEST_F(FatimgRegistry, TamperedManifestInRegistryStorageIsRefused) {
    std::string ref = push_anon("tamper-manifest", small_image(unique("tamper-manifest")));
    std::string layout = scratch.dir() + "/layout-tamper-manifest";
    std::string digest = json::parse(read_text(layout + "/index.json"))["manifests"][0]["digest"];
    std::string hex = digest.substr(7);
    std::string data_file = env["ANON_STORAGE"] + "/docker/registry/v2/blobs/sha256/" +
                            hex.substr(0, 2) + "/" + hex + "/data";
    std::string data = read_text(data_file);
    // Still valid JSON of the same size: only the config's media type changes case.
    auto pos = data.find("config.v1+json");
    ASSERT_NE(pos, std::string::npos) << data;
    data[pos] = 'C';
    std::ofstream(data_file, std::ios::binary | std::ios::trunc) << data;

    ASSERT_EQ(fatimg(scratch.store(), {"ls"}).exit_code, 0);
    auto before = snapshot(scratch.store());
    auto r = fatimg(scratch.store(), {"pull", ref});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("digest mismatch for manifest " + digest), std::string::npos) << r.err;
    EXPECT_EQ(snapshot(scratch.store()), before);
}

TEST_F(FatimgRegistry, HostileImageFromRegistryIsRefused) {
    std::string outside = scratch.dir() + "/outside";
    fs::create_directories(outside);
    Layer l1, l2;
    l1.entries = {symlink("evil", outside)};
    l2.entries = {file("evil/pwned", "x")};
    std::string ref = push_anon("hostile", {l1, l2});
    ASSERT_EQ(fatimg(scratch.store(), {"ls"}).exit_code, 0);
    auto before = snapshot(scratch.store());
    auto r = fatimg(scratch.store(), {"pull", ref});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("\"evil/pwned\""), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("symlink"), std::string::npos) << r.err;
    EXPECT_TRUE(fs::is_empty(outside));
    EXPECT_EQ(snapshot(scratch.store()), before);
}

TEST_F(FatimgRegistry, ConcurrentPullsBothSucceedAndLeaveOneCopy) {
    Layer big;
    big.compression = Compression::gzip;
    for (int i = 0; i < 2000; ++i)
        big.entries.push_back(file("data/f" + std::to_string(i), std::string(4096, 'a' + i % 26)));
    std::string ref = push_anon("concurrent", {big});
    auto pull = [&] { return fatimg(scratch.store(), {"pull", ref}); };
    auto a = std::async(std::launch::async, pull);
    auto b = std::async(std::launch::async, pull);
    auto ra = a.get(), rb = b.get();
    ASSERT_EQ(ra.exit_code, 0) << ra.err;
    ASSERT_EQ(rb.exit_code, 0) << rb.err;
    EXPECT_EQ(ra.out, rb.out);
    int n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(scratch.store() + "/rootfs")) ++n;
    EXPECT_EQ(n, 1);
    EXPECT_TRUE(fs::is_empty(scratch.store() + "/tmp"));
    EXPECT_EQ(json::parse(fatimg(scratch.store(), {"ls", "--format", "json"}).out).size(), 1u);
}

TEST_F(FatimgRegistry, PullKilledMidDownloadLeavesStoreAsBefore) {
    // One incompressible 192 MB layer, so the download takes long enough to be killed.
    std::string noise(192u << 20, '\0');
    std::mt19937_64 rng(42);
    for (size_t i = 0; i + 8 <= noise.size(); i += 8) {
        uint64_t v = rng();
        std::memcpy(noise.data() + i, &v, 8);
    }
    Layer big;
    big.compression = Compression::none;
    big.entries = {file("noise", std::move(noise))};
    std::string layout = scratch.dir() + "/layout-interrupted";
    write_oci_layout(layout, "t", {big});
    std::string repo = unique("interrupted");
    ASSERT_EQ(push_raw(layout, env["ANON"], repo, "1"), "");  // skopeo would gzip it first
    std::string ref = env["ANON"] + "/" + repo + ":1";
    std::string small = push_anon("already-there", small_image("before"));
    ASSERT_EQ(fatimg(scratch.store(), {"pull", small}).exit_code, 0);
    auto before = snapshot(scratch.store());

    std::vector<std::string> args = {fatimg_binary(), "--root", scratch.store(), "pull", ref};
    std::vector<char*> argv;
    for (auto& s : args) argv.push_back(s.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    ASSERT_EQ(::posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ), 0);
    bool downloading = cntr::test::eventually(
        [&] {
            std::error_code ec;
            for (const auto& e : fs::recursive_directory_iterator(scratch.store() + "/tmp", ec))
                if (e.path().filename().string().starts_with("partial-") &&
                    e.file_size(ec) > (1u << 20))
                    return true;
            return false;
        },
        std::chrono::milliseconds(60000));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(downloading) << "the pull never started downloading";
    ASSERT_TRUE(WIFSIGNALED(status)) << "the pull finished before it could be killed";

    auto after = snapshot(scratch.store());
    std::erase_if(after, [](const std::string& p) { return p.starts_with("tmp/"); });
    EXPECT_EQ(after, before) << "only the temporary directory may differ";

    auto again = fatimg(scratch.store(), {"pull", ref});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(fs::file_size(cntr::test::trim(again.out) + "/noise"), 192u << 20);
    EXPECT_TRUE(fs::is_empty(scratch.store() + "/tmp")) << "the next run removed the leftovers";
}

TEST_F(FatimgRegistry, ProgressIsOneLineOnATerminalAndPlainStepsElsewhere) {
    Layer l;
    l.entries = {file("blob", std::string(3u << 20, 'x'))};
    l.compression = Compression::none;
    std::string layout = scratch.dir() + "/layout-progress";
    write_oci_layout(layout, "t", {l});
    std::string repo = unique("progress");
    ASSERT_EQ(push_raw(layout, env["ANON"], repo, "1"), "");
    std::string ref = env["ANON"] + "/" + repo + ":1";
    auto tty = cntr::test::run_on_pty({fatimg_binary(), "--root", scratch.store(), "pull", ref},
                                      winsize{24, 80, 0, 0}, [](int, const std::string&) {});
    EXPECT_EQ(tty.exit_code, 0) << tty.out;
    EXPECT_NE(tty.out.find("3.1/3.1 MB, 1/1 layers"), std::string::npos) << tty.out;
    // Not a terminal: one plain line per finished step, no carriage returns.
    auto piped = fatimg(scratch.dir() + "/store2", {"pull", ref});
    EXPECT_EQ(piped.exit_code, 0) << piped.err;
    EXPECT_NE(piped.err.find(ref + ": layer sha256:"), std::string::npos) << piped.err;
    EXPECT_NE(piped.err.find(" done (3.1 MB, 1/1 layers)\n"), std::string::npos) << piped.err;
    EXPECT_NE(piped.err.find(": unpacking\n"), std::string::npos) << piped.err;
    EXPECT_NE(piped.err.find(": unpacked in "), std::string::npos) << piped.err;
    EXPECT_EQ(piped.err.find('\r'), std::string::npos) << piped.err;
    auto quiet = cntr::test::run_on_pty(
        {fatimg_binary(), "--root", scratch.dir() + "/store3", "pull", "-q", ref},
        winsize{24, 80, 0, 0}, [](int, const std::string&) {});
    EXPECT_EQ(quiet.exit_code, 0) << quiet.out;
    EXPECT_EQ(quiet.out.find("MB"), std::string::npos) << quiet.out;
    EXPECT_EQ(quiet.out.find("unpack"), std::string::npos) << quiet.out;
}

TEST_F(FatimgRegistry, LayersAlreadyInTheStoreAreReused) {
    Layer base;
    base.entries = {dir("etc"), file("etc/base", "shared base")};
    Layer a, b;
    a.entries = {file("etc/which", "a")};
    b.entries = {file("etc/which", "b"), file("etc/.wh.base", "")};
    std::string ra = push_anon("shared-a", {base, a});
    std::string rb = push_anon("shared-b", {base, b});
    auto pa = fatimg(scratch.store(), {"pull", ra});
    ASSERT_EQ(pa.exit_code, 0) << pa.err;
    auto pb = cntr::test::run({fatimg_binary(), "-v", "--root", scratch.store(), "pull", rb});
    ASSERT_EQ(pb.exit_code, 0) << pb.err;
    std::string root_a = cntr::test::trim(pa.out), root_b = cntr::test::trim(pb.out);
    EXPECT_EQ(read_text(root_a + "/etc/which"), "a");
    EXPECT_EQ(read_text(root_a + "/etc/base"), "shared base");
    EXPECT_EQ(read_text(root_b + "/etc/which"), "b");
    EXPECT_FALSE(fs::exists(root_b + "/etc/base"))
        << "B's whiteout must not touch A's rootfs or the shared blob";
    auto ia = json::parse(fatimg(scratch.store(), {"inspect", ra}).out);
    auto ib = json::parse(fatimg(scratch.store(), {"inspect", rb}).out);
    EXPECT_EQ(ia["layers"][0]["digest"], ib["layers"][0]["digest"]);
    EXPECT_NE(pb.err.find("layer " + ib["layers"][0]["digest"].get<std::string>() +
                          " already in the store"),
              std::string::npos)
        << pb.err;
    // rm A + gc keeps the shared layer (B still uses it), then B is still complete.
    ASSERT_EQ(fatimg(scratch.store(), {"rm", ra}).exit_code, 0);
    ASSERT_EQ(fatimg(scratch.store(), {"gc"}).exit_code, 0);
    EXPECT_TRUE(fs::exists(scratch.store() + "/blobs/sha256/" +
                           ib["layers"][0]["digest"].get<std::string>().substr(7)));
    EXPECT_FALSE(fs::exists(root_a));
    EXPECT_EQ(read_text(root_b + "/etc/which"), "b");
}

TEST_F(FatimgRegistry, PullAgainWhenUpToDateKeepsTheSameRootfs) {
    std::string ref = push_anon("again", small_image("again"));
    auto a = fatimg(scratch.store(), {"pull", ref});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    auto before = snapshot(scratch.store());
    auto b = fatimg(scratch.store(), {"pull", ref});
    ASSERT_EQ(b.exit_code, 0) << b.err;
    EXPECT_EQ(a.out, b.out);
    EXPECT_EQ(snapshot(scratch.store()), before);
}

}  // namespace
}  // namespace cntr::fatimg::test
