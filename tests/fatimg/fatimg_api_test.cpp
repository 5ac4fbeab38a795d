// The library interface cntr calls (ensure_rootfs) and its pull policies, on local
// OCI layouts so no registry is needed.
#include <gtest/gtest.h>

#include <filesystem>

#include "error.hpp"
#include "fatimg_test_util.hpp"
#include "image_store.hpp"

namespace cntr::fatimg::test {
namespace {

namespace fs = std::filesystem;

std::vector<Layer> image(const std::string& marker) {
    Layer l;
    l.entries = {dir("etc"), file("etc/marker", marker)};
    return {l};
}

TEST(FatimgApi, PullPoliciesMissingNeverAlways) {
    Scratch scratch;
    StoreConfig cfg;
    cfg.root = scratch.store();
    std::string layout = scratch.dir() + "/img";
    std::string ref = "oci:" + layout + ":v1";
    write_oci_layout(layout, "v1", image("one"));

    try {
        ensure_rootfs(ref, PullPolicy::never, cfg);
        ADD_FAILURE() << "never must fail for an absent image";
    } catch (const UserError& e) {
        EXPECT_NE(std::string(e.what()).find("never"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("cntr-fatimg pull"), std::string::npos) << e.what();
    }

    std::string root = ensure_rootfs(ref, PullPolicy::missing, cfg);
    EXPECT_TRUE(root.starts_with(scratch.store() + "/rootfs/")) << root;
    EXPECT_EQ(read_text(root + "/etc/marker"), "one");
    EXPECT_EQ(ensure_rootfs(ref, PullPolicy::never, cfg), root);

    // The source changes: missing keeps the stored image, always takes the new one.
    fs::remove_all(layout);
    write_oci_layout(layout, "v1", image("two"));
    EXPECT_EQ(ensure_rootfs(ref, PullPolicy::missing, cfg), root);
    std::string root2 = ensure_rootfs(ref, PullPolicy::always, cfg);
    EXPECT_NE(root2, root);
    EXPECT_EQ(read_text(root2 + "/etc/marker"), "two");
    EXPECT_EQ(read_text(root + "/etc/marker"), "one") << "an unpacked rootfs is never modified";
}

TEST(FatimgApi, StoreRootFromEnvironment) {
    Scratch scratch;
    ::setenv("CNTR_IMAGE_STORE", scratch.store().c_str(), 1);
    EXPECT_EQ(store_root(StoreConfig{}), scratch.store());
    ::unsetenv("CNTR_IMAGE_STORE");
    EXPECT_EQ(store_root(StoreConfig{}), "/var/lib/cntr/images");
    StoreConfig cfg;
    cfg.root = scratch.store();
    EXPECT_EQ(store_root(cfg), scratch.store());
}

TEST(FatimgApi, ErrorsAreUserErrors) {
    Scratch scratch;
    StoreConfig cfg;
    cfg.root = scratch.store();
    EXPECT_THROW(ensure_rootfs("oci:" + scratch.dir() + "/missing", PullPolicy::missing, cfg),
                 UserError);
    EXPECT_THROW(ensure_rootfs("Not A Ref", PullPolicy::missing, cfg), UserError);
    cfg.root = "/proc/no-such-store";
    EXPECT_THROW(ensure_rootfs("busybox", PullPolicy::never, cfg), UserError);
}

}  // namespace
}  // namespace cntr::fatimg::test
