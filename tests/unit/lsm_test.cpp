// The LSM label is decided from the host's /sys and written through a verified
// host procfs (issue 12, row 7). This machine has no AppArmor or SELinux, so
// the label write itself is not exercised; what can be is: the decision from a
// sysfs tree, the refusal of a directory that is not a procfs (what a
// container's fake /proc would be), and failing closed for a confined target.
#include "lsm.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "error.hpp"

using namespace cntr;
namespace fs = std::filesystem;

namespace {

class FakeSys : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string tmpl = fs::temp_directory_path() / "cntr-lsm-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        root_ = tmpl;
    }
    void TearDown() override { fs::remove_all(root_); }
    void write(const std::string& rel, const std::string& text) {
        fs::create_directories((root_ / rel).parent_path());
        std::ofstream(root_ / rel) << text;
    }
    fs::path root_;
};

TEST_F(FakeSys, AppArmorIsTheHostsWhenItsModuleSaysSo) {
    write("sys/module/apparmor/parameters/enabled", "Y\n");
    EXPECT_EQ(detect_host_lsm(root_), LsmKind::apparmor);
}

TEST_F(FakeSys, AppArmorCompiledInButDisabledIsNone) {
    write("sys/module/apparmor/parameters/enabled", "N\n");
    EXPECT_EQ(detect_host_lsm(root_), LsmKind::none);
}

TEST_F(FakeSys, SelinuxIsTheHostsWhenSelinuxfsIsMounted) {
    write("sys/fs/selinux/enforce", "1\n");
    EXPECT_EQ(detect_host_lsm(root_), LsmKind::selinux);
}

TEST_F(FakeSys, NoLsmFilesIsNone) { EXPECT_EQ(detect_host_lsm(root_), LsmKind::none); }

TEST_F(FakeSys, ADirectoryThatIsNotProcfsIsRefused) {
    // What a container could put where a /proc is expected: a plain directory
    // with a writable attr/exec file that would swallow the label.
    write("proc/thread-self/attr/exec", "");
    EXPECT_THROW(open_verified_procfs(root_ / "proc"), UserError);
    EXPECT_NO_THROW(open_verified_procfs("/proc"));
}

TEST(LsmExec, UnconfinedTargetsNeedNothing) {
    for (const char* label : {"", "unconfined", "kernel"}) {
        auto lsm = prepare_lsm_exec(label);
        EXPECT_TRUE(lsm.label.empty()) << label;
        EXPECT_NO_THROW(apply_lsm_exec(lsm, -1));
    }
}

TEST_F(FakeSys, AConfinedTargetOnAHostWithoutAnLsmFailsClosed) {
    EXPECT_THROW(prepare_lsm_exec("docker-default", root_), UserError);
}

TEST_F(FakeSys, AConfinedTargetGetsTheHostsProcfs) {
    write("sys/module/apparmor/parameters/enabled", "Y\n");
    auto lsm = prepare_lsm_exec("docker-default", root_);
    EXPECT_EQ(lsm.kind, LsmKind::apparmor);
    EXPECT_EQ(lsm.label, "docker-default");
    EXPECT_TRUE(lsm.host_proc);
}

}  // namespace
