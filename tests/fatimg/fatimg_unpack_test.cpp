// What the unpacker writes where it takes shortcuts: a name a lower layer already
// holds (created first, replaced on EEXIST), objects created with their permission
// bits (chmod/chown only when the umask or a setgid parent interferes), a sparse
// file's trailing hole (ftruncate only then), a directory fd reused across entries,
// and a layer whose decompression fails on its own thread.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "fatimg_test_util.hpp"

namespace cntr::fatimg::test {
namespace {

namespace fs = std::filesystem;

Entry owned(Entry e, unsigned uid, unsigned gid) {
    e.uid = uid;
    e.gid = gid;
    return e;
}

class FatimgUnpack : public ::testing::Test {
  protected:
    Scratch scratch;
    // Imports `layers` with the process umask set to `mask` (cntr-fatimg inherits it).
    std::string import(const std::vector<Layer>& layers, mode_t mask = 022) {
        const std::string layout = scratch.dir() + "/img" + std::to_string(n_++);
        write_oci_layout(layout, "v1", layers);
        const mode_t old = ::umask(mask);
        auto r = fatimg(scratch.store(), {"import", "oci:" + layout + ":v1"});
        ::umask(old);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return cntr::test::trim(r.out);
    }
    int n_ = 0;
};

TEST_F(FatimgUnpack, AnUpperLayerReplacesWhateverALowerLayerLeftAtTheName) {
    Layer lower;
    lower.entries = {file("file-then-dir", "f"),
                     dir("dir-then-file"),
                     file("dir-then-file/child", "c"),
                     symlink("link-then-file", "/nowhere"),
                     symlink("link-to-dir-then-dir", "/etc"),
                     file("file-then-link", "f"),
                     file("file-then-hardlink", "old"),
                     file("target", "target content"),
                     owned(dir("kept-dir", 0700), 1, 1),
                     file("kept-dir/old", "lower")};
    Layer upper;
    upper.entries = {dir("file-then-dir"),
                     file("file-then-dir/in", "in"),
                     file("dir-then-file", "now a file"),
                     file("link-then-file", "now a file"),
                     dir("link-to-dir-then-dir"),
                     symlink("file-then-link", "target"),
                     hardlink("file-then-hardlink", "target"),
                     owned(dir("kept-dir", 0751), 2, 3),
                     file("kept-dir/new", "upper")};
    const std::string root = import({lower, upper});
    EXPECT_EQ(read_text(root + "/file-then-dir/in"), "in");
    EXPECT_EQ(read_text(root + "/dir-then-file"), "now a file");
    EXPECT_TRUE(S_ISREG(lstat_of(root + "/link-then-file").st_mode));
    EXPECT_EQ(read_text(root + "/link-then-file"), "now a file");
    EXPECT_TRUE(S_ISDIR(lstat_of(root + "/link-to-dir-then-dir").st_mode));
    EXPECT_EQ(fs::read_symlink(root + "/file-then-link").string(), "target");
    EXPECT_EQ(lstat_of(root + "/file-then-hardlink").st_ino, lstat_of(root + "/target").st_ino);
    EXPECT_EQ(read_text(root + "/file-then-hardlink"), "target content");
    // A directory where a directory is wanted stays, with its content, and takes the
    // upper entry's mode and owner.
    const auto kept = lstat_of(root + "/kept-dir");
    EXPECT_EQ(kept.st_mode & 07777, 0751u);
    EXPECT_EQ(kept.st_uid, 2u);
    EXPECT_EQ(kept.st_gid, 3u);
    EXPECT_EQ(read_text(root + "/kept-dir/old"), "lower");
    EXPECT_EQ(read_text(root + "/kept-dir/new"), "upper");
}

TEST_F(FatimgUnpack, ModesAndOwnersAreExactWhateverTheUmaskAndSetgidParents) {
    ASSERT_EQ(::geteuid(), 0u) << "owners are kept for root only; tests run as root";
    Layer l;
    l.entries = {owned(dir("shared", 02775), 0, 50),
                 file("shared/f", "f", 0664),
                 dir("shared/sub", 0755),
                 owned(file("shared/g", "g", 0640), 0, 50),
                 file("rw-all", "x", 0666),
                 file("ro", "x", 0444),
                 file("none", "x", 0),
                 dir("sticky", 01777),
                 dir("private", 0700),
                 file("setuid", "x", 04711),
                 owned(file("user", "x", 0600), 1000, 1000),
                 owned(symlink("user-link", "user"), 1000, 1001)};
    for (mode_t mask : {mode_t{0}, mode_t{022}, mode_t{077}}) {
        SCOPED_TRACE("umask " + std::to_string(mask));
        const std::string root = import({l}, mask);
        auto mode = [&](const std::string& p) { return lstat_of(root + "/" + p).st_mode & 07777; };
        EXPECT_EQ(mode("shared"), 02775u);
        EXPECT_EQ(lstat_of(root + "/shared").st_gid, 50u);
        // A setgid directory hands its group and (to directories) its setgid bit to
        // new children; the entries say otherwise.
        EXPECT_EQ(lstat_of(root + "/shared/f").st_gid, 0u);
        EXPECT_EQ(mode("shared/f"), 0664u);
        EXPECT_EQ(mode("shared/sub"), 0755u);
        EXPECT_EQ(lstat_of(root + "/shared/sub").st_gid, 0u);
        EXPECT_EQ(lstat_of(root + "/shared/g").st_gid, 50u);
        EXPECT_EQ(mode("rw-all"), 0666u);
        EXPECT_EQ(mode("ro"), 0444u);
        EXPECT_EQ(mode("none"), 0u);
        EXPECT_EQ(mode("sticky"), 01777u);
        EXPECT_EQ(mode("private"), 0700u);
        EXPECT_EQ(mode("setuid"), 04711u);
        EXPECT_EQ(lstat_of(root + "/user").st_uid, 1000u);
        EXPECT_EQ(lstat_of(root + "/user-link").st_uid, 1000u);
        EXPECT_EQ(lstat_of(root + "/user-link").st_gid, 1001u);
        fs::remove_all(scratch.store());
    }
}

TEST_F(FatimgUnpack, SparseFileKeepsItsSizeAndHole) {
    Layer l;
    Entry sparse = file("sparse", "head");
    sparse.sparse_size = 8ull << 20;
    l.entries = {sparse, file("empty", "")};
    const std::string root = import({l});
    const auto st = lstat_of(root + "/sparse");
    EXPECT_EQ(st.st_size, 8 << 20);
    EXPECT_LT(st.st_blocks * 512, 1 << 20) << "the hole is not written out";
    EXPECT_EQ(read_text(root + "/sparse").substr(0, 4), "head");
    EXPECT_EQ(lstat_of(root + "/empty").st_size, 0);
}

TEST_F(FatimgUnpack, EntriesThatMoveBetweenDirectoriesLandInTheirOwn) {
    Layer l;
    l.entries = {file("a/x", "ax"),    file("b/y", "by"),       file("a/z", "az"),
                 file("a/s/w", "asw"), file("a/v", "av"),       file("b/s/w", "bsw"),
                 file("top", "top"),   file("a/s/t/u", "astu"), file("b/y2", "by2")};
    const std::string root = import({l});
    for (const auto& [path, text] :
         std::vector<std::pair<std::string, std::string>>{{"a/x", "ax"},
                                                          {"b/y", "by"},
                                                          {"a/z", "az"},
                                                          {"a/s/w", "asw"},
                                                          {"a/v", "av"},
                                                          {"b/s/w", "bsw"},
                                                          {"top", "top"},
                                                          {"a/s/t/u", "astu"},
                                                          {"b/y2", "by2"}})
        EXPECT_EQ(read_text(root + "/" + path), text) << path;
    EXPECT_EQ(snapshot(root + "/a"),
              (std::set<std::string>{"s", "s/t", "s/t/u", "s/w", "v", "x", "z"}));
}

TEST_F(FatimgUnpack, ACorruptCompressedLayerNamesItselfAndStoresNothing) {
    Layer good;
    std::string noise;
    for (unsigned i = 0, x = 12345; i < (2u << 20); ++i) {
        x = x * 1103515245 + 12345;  // incompressible, so the cut lands mid-stream
        noise.push_back(static_cast<char>(x >> 16));
    }
    good.entries = {file("first", "ok"), file("noise", noise), file("last", "never")};
    Layer cut;
    const std::string blob = layer_blob(good);
    cut.raw_blob = blob.substr(0, blob.size() / 2);
    cut.media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
    ASSERT_EQ(fatimg(scratch.store(), {"ls"}).exit_code, 0);
    const auto before = snapshot(scratch.store());
    const std::string layout = scratch.dir() + "/cut";
    write_oci_layout(layout, "v1", {cut});
    auto r = fatimg(scratch.store(), {"import", "oci:" + layout + ":v1"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("layer 1 (sha256:"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("cannot be decompressed"), std::string::npos) << r.err;
    EXPECT_EQ(snapshot(scratch.store()), before);
}

// Found by scripts/fuzz-fatimg.sh's layer target: libarchive fails a gzip stream cut
// inside its 8-byte trailer without a reason, and the message was built from that
// NULL (SIGSEGV before this test).
TEST_F(FatimgUnpack, AGzipLayerCutInsideItsTrailerIsAnErrorNotACrash) {
    Layer good;
    good.entries = {file("a", "hello")};
    const std::string blob = layer_blob(good);
    for (size_t cut : {1, 4, 8}) {
        SCOPED_TRACE("cut " + std::to_string(cut));
        Layer l;
        l.raw_blob = blob.substr(0, blob.size() - cut);
        l.media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
        const std::string layout = scratch.dir() + "/trailer" + std::to_string(cut);
        write_oci_layout(layout, "v1", {l});
        auto r = fatimg(scratch.store(), {"import", "oci:" + layout + ":v1"});
        EXPECT_EQ(r.exit_code, 1) << r.err;
        EXPECT_NE(r.err.find("layer 1 (sha256:"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("decompressed: truncated or corrupt data"), std::string::npos)
            << r.err;
    }
}

}  // namespace
}  // namespace cntr::fatimg::test
