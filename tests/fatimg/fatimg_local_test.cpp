// cntr-fatimg on local sources (oci:, oci-archive:, docker-archive:) with images
// built by image_builder: what the unpacker keeps (whiteouts, hard links,
// capabilities, owners, modes), what it refuses (hostile layers), and the CLI.
#include <gtest/gtest.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "fatimg_test_util.hpp"

namespace cntr::fatimg::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// VFS_CAP_REVISION_2 capability xattr granting cap_net_raw (bit 13) permitted+effective.
std::string cap_net_raw_xattr() {
    std::string v(20, '\0');
    uint32_t words[5] = {0x02000001u, 1u << 13, 0, 0, 0};
    std::memcpy(v.data(), words, sizeof words);
    return v;
}

std::vector<Layer> rich_image(Compression c = Compression::gzip) {
    Layer base;
    base.compression = c;
    base.entries = {dir("bin"),
                    file("bin/tool", "#!/bin/sh\necho tool\n", 0755),
                    dir("etc"),
                    file("etc/removed", "gone soon"),
                    file("etc/kept", "stays"),
                    dir("opaque"),
                    file("opaque/old1", "old"),
                    dir("opaque/olddir"),
                    file("opaque/olddir/x", "old"),
                    file("suid", "s", 04755),
                    file("owned", "o", 0640)};
    base.entries.back().uid = 1234;
    base.entries.back().gid = 5678;
    Entry ping = file("bin/ping", "ELF?", 0755);
    ping.xattrs["security.capability"] = cap_net_raw_xattr();
    base.entries.push_back(ping);
    base.entries.push_back(hardlink("bin/tool-link", "bin/tool"));
    base.entries.push_back(symlink("bin/sh-link", "/bin/tool"));

    Layer top;
    top.compression = c;
    top.entries = {file("etc/.wh.removed", ""), file("opaque/.wh..wh..opq", ""),
                   file("opaque/new", "new"), file("etc/added", "added in layer 2")};
    return {base, top};
}

class FatimgLocal : public ::testing::Test {
  protected:
    Scratch scratch;
    std::string store() const { return scratch.store(); }
    std::string import(const std::string& source, std::vector<std::string> extra = {}) {
        std::vector<std::string> args = {"import", source};
        args.insert(args.end(), extra.begin(), extra.end());
        auto r = fatimg(store(), args);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return cntr::test::trim(r.out);
    }
};

TEST_F(FatimgLocal, ImportOciLayoutAppliesWhiteoutsAndOpaqueDirs) {
    write_oci_layout(scratch.dir() + "/img", "v1", rich_image());
    std::string root = import("oci:" + scratch.dir() + "/img:v1");
    ASSERT_TRUE(fs::is_directory(root)) << root;
    EXPECT_EQ(read_text(root + "/etc/kept"), "stays");
    EXPECT_EQ(read_text(root + "/etc/added"), "added in layer 2");
    EXPECT_FALSE(fs::exists(root + "/etc/removed"));
    EXPECT_FALSE(fs::exists(root + "/etc/.wh.removed"));
    EXPECT_TRUE(fs::exists(root + "/opaque/new"));
    EXPECT_FALSE(fs::exists(root + "/opaque/old1"));
    EXPECT_FALSE(fs::exists(root + "/opaque/olddir"));
    EXPECT_FALSE(fs::exists(root + "/opaque/.wh..wh..opq"));
}

TEST_F(FatimgLocal, RootfsHasEmptyVarLibCntrForTheSlimContainer) {
    write_oci_layout(scratch.dir() + "/img", "v1", rich_image());
    std::string root = import("oci:" + scratch.dir() + "/img:v1");
    auto st = lstat_of(root + "/var/lib/cntr");
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0755u);
    EXPECT_TRUE(fs::is_empty(root + "/var/lib/cntr"));
    EXPECT_EQ(lstat_of(root).st_mode & 07777, 0755u);
}

TEST_F(FatimgLocal, VarLibCntrShippedByTheImageIsEmptiedAnd0755) {
    Layer l;
    l.entries = {dir("var"), dir("var/lib"), dir("var/lib/cntr", 0700),
                 file("var/lib/cntr/junk", "x")};
    write_oci_layout(scratch.dir() + "/img", "v1", {l});
    std::string root = import("oci:" + scratch.dir() + "/img:v1");
    EXPECT_EQ(lstat_of(root + "/var/lib/cntr").st_mode & 07777, 0755u);
    EXPECT_TRUE(fs::is_empty(root + "/var/lib/cntr"));
}

TEST_F(FatimgLocal, HardLinksShareAnInode) {
    write_oci_layout(scratch.dir() + "/img", "v1", rich_image());
    std::string root = import("oci:" + scratch.dir() + "/img:v1");
    auto a = lstat_of(root + "/bin/tool"), b = lstat_of(root + "/bin/tool-link");
    ASSERT_NE(a.st_ino, 0u);
    EXPECT_EQ(a.st_ino, b.st_ino);
    EXPECT_EQ(a.st_nlink, 2u);
}

TEST_F(FatimgLocal, ModesOwnersMtimesAndSymlinksKept) {
    write_oci_layout(scratch.dir() + "/img", "v1", rich_image());
    std::string root = import("oci:" + scratch.dir() + "/img:v1");
    EXPECT_EQ(lstat_of(root + "/suid").st_mode & 07777, 04755u);
    EXPECT_EQ(lstat_of(root + "/bin/tool").st_mode & 07777, 0755u);
    auto owned = lstat_of(root + "/owned");
    EXPECT_EQ(owned.st_mode & 07777, 0640u);
    EXPECT_EQ(owned.st_uid, 1234u);
    EXPECT_EQ(owned.st_gid, 5678u);
    EXPECT_EQ(owned.st_mtime, 1700000000);
    EXPECT_EQ(lstat_of(root + "/etc").st_mtime, 1700000000) << "directory mtimes are applied last";
    EXPECT_EQ(fs::read_symlink(root + "/bin/sh-link").string(), "/bin/tool");
}

TEST_F(FatimgLocal, DeviceNodesAndFifosAsRoot) {
    ASSERT_EQ(::geteuid(), 0u) << "the store keeps device nodes only for root; tests run as root";
    Layer l;
    Entry null_dev;
    null_dev.type = Entry::Type::chardev;
    null_dev.name = "dev/null";
    null_dev.mode = 0666;
    null_dev.dev_major = 1;
    null_dev.dev_minor = 3;
    Entry fifo;
    fifo.type = Entry::Type::fifo;
    fifo.name = "run/pipe";
    fifo.mode = 0620;
    l.entries = {dir("dev"), null_dev, dir("run"), fifo};
    write_oci_layout(scratch.dir() + "/img", "v1", {l});
    std::string root = import("oci:" + scratch.dir() + "/img:v1");
    auto dev = lstat_of(root + "/dev/null");
    EXPECT_TRUE(S_ISCHR(dev.st_mode));
    EXPECT_EQ(major(dev.st_rdev), 1u);
    EXPECT_EQ(minor(dev.st_rdev), 3u);
    EXPECT_EQ(dev.st_mode & 07777, 0666u);
    auto p = lstat_of(root + "/run/pipe");
    EXPECT_TRUE(S_ISFIFO(p.st_mode));
    EXPECT_EQ(p.st_mode & 07777, 0620u);
}

TEST_F(FatimgLocal, FileCapabilitiesKept) {
    write_oci_layout(scratch.dir() + "/img", "v1", rich_image());
    std::string root = import("oci:" + scratch.dir() + "/img:v1");
    auto r = cntr::test::run({"getcap", root + "/bin/ping"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("cap_net_raw"), std::string::npos) << r.out;
    char buf[64];
    EXPECT_EQ(::getxattr((root + "/bin/ping").c_str(), "security.capability", buf, sizeof buf), 20);
}

TEST(FatimgImageBuilder, GzipLayersAreReproducible) {
    // Shared-layer tests rely on one digest per layer content: no gzip mtime.
    std::string blob = layer_blob(rich_image()[0]);
    ASSERT_GT(blob.size(), 10u);
    EXPECT_EQ(blob.substr(0, 2), "\x1f\x8b");
    EXPECT_EQ(blob.substr(4, 4), std::string(4, '\0'));
}

TEST_F(FatimgLocal, UncompressedAndZstdLayersImport) {
    for (auto c : {Compression::none, Compression::zstd}) {
        std::string layout = scratch.dir() + (c == Compression::none ? "/plain" : "/zstd");
        write_oci_layout(layout, "v1", rich_image(c));
        std::string root = import("oci:" + layout + ":v1");
        EXPECT_EQ(read_text(root + "/etc/added"), "added in layer 2");
        EXPECT_FALSE(fs::exists(root + "/etc/removed"));
    }
}

TEST_F(FatimgLocal, DockerArchiveImportWithName) {
    write_docker_archive(scratch.dir() + "/img.tar", "tools:1", rich_image());
    std::string root =
        import("docker-archive:" + scratch.dir() + "/img.tar", {"--name", "mytools:1"});
    EXPECT_EQ(read_text(root + "/etc/added"), "added in layer 2");
    auto p = fatimg(store(), {"path", "mytools:1"});
    EXPECT_EQ(p.exit_code, 0) << p.err;
    EXPECT_EQ(cntr::test::trim(p.out), root);
    auto j = json::parse(fatimg(store(), {"ls", "--format", "json"}).out);
    ASSERT_EQ(j.size(), 1u);
    EXPECT_EQ(j[0]["name"], "docker.io/library/mytools:1");
}

TEST_F(FatimgLocal, OciArchiveImport) {
    write_oci_layout(scratch.dir() + "/img", "v1", rich_image());
    tar_directory(scratch.dir() + "/img", scratch.dir() + "/img.tar");
    std::string root = import("oci-archive:" + scratch.dir() + "/img.tar");
    EXPECT_EQ(read_text(root + "/etc/kept"), "stays");
}

TEST_F(FatimgLocal, TamperedBlobNamesDigestAndStoresNothing) {
    write_oci_layout(scratch.dir() + "/img", "v1", rich_image());
    auto manifest = json::parse(read_text(
        scratch.dir() + "/img/blobs/sha256/" +
        json::parse(read_text(scratch.dir() + "/img/index.json"))["manifests"][0]["digest"]
            .get<std::string>()
            .substr(7)));
    std::string layer = manifest["layers"][1]["digest"];
    {
        std::string path = scratch.dir() + "/img/blobs/sha256/" + layer.substr(7);
        std::string data = read_text(path);
        data[data.size() / 2] ^= 0x55;
        std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
    }
    ASSERT_EQ(fatimg(store(), {"ls"}).exit_code, 0);
    auto before = snapshot(store());
    auto r = fatimg(store(), {"import", "oci:" + scratch.dir() + "/img:v1"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find(layer), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("digest mismatch"), std::string::npos) << r.err;
    EXPECT_EQ(snapshot(store()), before);
}

struct Hostile {
    const char* name;
    std::vector<Layer> layers;
    const char* entry;  // expected in the message
};

std::vector<Hostile> hostile_images(const std::string& outside) {
    Layer abs;
    abs.entries = {file(outside + "/abs-pwned", "x")};
    Layer dots;
    dots.entries = {dir("a"), file("a/../../../../../../.." + outside + "/dots-pwned", "x")};
    Layer link1;
    link1.entries = {symlink("evil", outside)};
    Layer link2;
    link2.entries = {file("evil/pwned", "x")};
    Layer same_layer;
    same_layer.entries = {symlink("evil2", outside), file("evil2/pwned2", "x")};
    Layer hl;
    hl.entries = {symlink("evil3", outside), hardlink("stolen", "evil3/secret")};
    Layer dir_link;
    dir_link.entries = {dir("d"), symlink("d/up", "../../../../.." + outside),
                        file("d/up/deep", "x")};
    Layer wh1;
    wh1.entries = {symlink("evil4", outside)};
    Layer wh2;
    wh2.entries = {file("evil4/.wh.secret", "")};
    Layer opq2;
    opq2.entries = {file("evil4/.wh..wh..opq", "")};
    Layer abs_link;
    abs_link.entries = {hardlink("passwd", "/etc/passwd")};
    return {{"absolute name", {abs}, "abs-pwned"},
            {"whiteout through symlink", {wh1, wh2}, "evil4/.wh.secret"},
            {"opaque marker through symlink", {wh1, opq2}, "evil4/.wh..wh..opq"},
            {"hard link to an absolute path",
             {abs_link},
             "\"passwd\" has an absolute link target \"/etc/passwd\""},
            {"dot-dot", {dots}, "dots-pwned"},
            {"symlink then write (two layers)", {link1, link2}, "evil/pwned"},
            {"symlink then write (one layer)", {same_layer}, "evil2/pwned2"},
            {"hard link through symlink", {hl}, "stolen"},
            {"relative symlink escape", {dir_link}, "d/up/deep"}};
}

TEST_F(FatimgLocal, HostileLayersAreRefusedAndWriteNothingOutside) {
    std::string outside = scratch.dir() + "/outside";
    fs::create_directories(outside);
    std::ofstream(outside + "/secret") << "host secret";
    ASSERT_EQ(fatimg(store(), {"ls"}).exit_code, 0);
    auto before_store = snapshot(store());
    int n = 0;
    for (const auto& h : hostile_images(outside)) {
        std::string layout = scratch.dir() + "/hostile" + std::to_string(n++);
        write_oci_layout(layout, "v1", h.layers);
        auto r = fatimg(store(), {"import", "oci:" + layout + ":v1"});
        EXPECT_EQ(r.exit_code, 1) << h.name;
        EXPECT_NE(r.err.find("image refused"), std::string::npos) << h.name << ": " << r.err;
        EXPECT_NE(r.err.find(h.entry), std::string::npos) << h.name << ": " << r.err;
        EXPECT_EQ(snapshot(outside), std::set<std::string>{"secret"}) << h.name;
        EXPECT_EQ(read_text(outside + "/secret"), "host secret") << h.name;
        EXPECT_EQ(snapshot(store()), before_store) << h.name;
    }
}

TEST_F(FatimgLocal, LsInspectPathRmGc) {
    write_oci_layout(scratch.dir() + "/img", "v1", rich_image());
    std::string root = import("oci:" + scratch.dir() + "/img:v1", {"--name", "tools:v1"});
    import("oci:" + scratch.dir() + "/img:v1", {"--name", "tools:alias"});

    auto ls = fatimg(store(), {"ls"});
    EXPECT_EQ(ls.exit_code, 0);
    EXPECT_NE(ls.out.find("REFERENCE"), std::string::npos);
    EXPECT_NE(ls.out.find("docker.io/library/tools:v1"), std::string::npos) << ls.out;

    auto in = fatimg(store(), {"inspect", "tools:v1"});
    ASSERT_EQ(in.exit_code, 0) << in.err;
    auto j = json::parse(in.out);
    EXPECT_EQ(j["rootfs"], root);
    EXPECT_EQ(j["layers"].size(), 2u);
    EXPECT_EQ(j["config"]["os"], "linux");
    EXPECT_TRUE(j["digest"].get<std::string>().starts_with("sha256:"));
    EXPECT_GT(j["size"].get<uint64_t>(), 0u);

    // Same image, one rootfs.
    EXPECT_EQ(cntr::test::trim(fatimg(store(), {"path", "tools:alias"}).out), root);
    EXPECT_EQ(fatimg(store(), {"rm", "tools:v1"}).exit_code, 0);
    EXPECT_TRUE(fs::exists(root)) << "still used by tools:alias";
    EXPECT_EQ(fatimg(store(), {"rm", "tools:alias"}).exit_code, 0);
    EXPECT_FALSE(fs::exists(root));

    auto missing = fatimg(store(), {"path", "tools:v1"});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.err.find("not in the store"), std::string::npos) << missing.err;

    fs::create_directories(store() + "/tmp/stage-leftover/x");
    auto gc = fatimg(store(), {"gc"});
    EXPECT_EQ(gc.exit_code, 0) << gc.err;
    EXPECT_NE(gc.out.find("1 stale temporary"), std::string::npos) << gc.out;
    EXPECT_TRUE(fs::is_empty(store() + "/blobs/sha256")) << "all blobs unreferenced after rm";
    EXPECT_TRUE(fs::is_empty(store() + "/tmp"));
}

TEST_F(FatimgLocal, UsageErrorsExitTwoAndHelpIsComplete) {
    EXPECT_EQ(fatimg(store(), {"frobnicate"}).exit_code, 2);
    EXPECT_EQ(fatimg(store(), {"pull"}).exit_code, 2);
    auto h = fatimg(store(), {"--help"});
    EXPECT_EQ(h.exit_code, 0);
    for (const char* word : {"pull", "import", "ls", "inspect", "path", "rm", "gc", "--root",
                             "Exit status", "docker-archive:", "oci:DIR"})
        EXPECT_NE(h.out.find(word), std::string::npos) << word;
    auto v = cntr::test::run({fatimg_binary(), "--version"});
    EXPECT_EQ(v.exit_code, 0);
    EXPECT_NE(v.out.find("cntr-fatimg"), std::string::npos);
    auto bad = fatimg(store(), {"import", "oci:" + scratch.dir() + "/nope"});
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.err.find("index.json"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace cntr::fatimg::test
