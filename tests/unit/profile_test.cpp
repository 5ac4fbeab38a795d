#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "error.hpp"
#include "profiles/profile.hpp"

using namespace cntr;
namespace fs = std::filesystem;

namespace {

class TempDir {
  public:
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "cntr-profile-test.XXXXXX").string();
        path_ = ::mkdtemp(tmpl.data());
    }
    ~TempDir() { fs::remove_all(path_); }
    std::string write(const std::string& name, const std::string& text) const {
        auto p = path_ / name;
        fs::create_directories(p.parent_path());
        std::ofstream(p) << text;
        return p.string();
    }
    [[nodiscard]] std::string path() const { return path_.string(); }

  private:
    fs::path path_;
};

std::string error_of(const std::string& file) {
    try {
        load_profile_file(file);
    } catch (const UserError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(ProfileFile, ParsesEveryField) {
    TempDir d;
    auto f = d.write("a.yaml", R"(name: web-debug
match: [web, "web-*"]
tools: container:fat
pull: never
env:
  inherit: [LANG, HOME]
  set: {EDITOR: vim}
  unset: [HISTFILE]
path: tools-first
shell: /bin/bash
user: app
)");
    auto profiles = load_profile_file(f);
    ASSERT_EQ(profiles.size(), 1U);
    const auto& p = profiles[0];
    EXPECT_EQ(p.name, "web-debug");
    EXPECT_EQ(p.match, (std::vector<std::string>{"web", "web-*"}));
    EXPECT_EQ(p.tools, "container:fat");
    EXPECT_EQ(p.pull, "never");
    ASSERT_TRUE(p.env);
    EXPECT_EQ(p.env->inherit, EnvPolicy::Inherit::list);
    EXPECT_EQ(p.env->set.at("EDITOR"), "vim");
    EXPECT_EQ(p.env->unset, std::vector<std::string>{"HISTFILE"});
    EXPECT_EQ(p.path, PathPolicy::tools_first);
    EXPECT_EQ(p.shell, "/bin/bash");
    EXPECT_EQ(p.user, "app");
    EXPECT_EQ(p.origin, f + ":1:1");
}

TEST(ProfileFile, OptInsForWritableToolsAndHostSockets) {
    TempDir d;
    auto p = load_profile_file(d.write("o.yaml",
                                       "name: o\nwritable-tools: true\nhost-sockets: "
                                       "[x11, dbus]\n"))
                 .at(0);
    EXPECT_EQ(p.writable_tools, true);
    EXPECT_EQ(p.host_sockets, (std::vector<std::string>{"x11", "dbus"}));
    auto again = load_profile_file(d.write("o2.yaml", profile_to_yaml(p))).at(0);
    EXPECT_EQ(again.writable_tools, true);
    EXPECT_EQ(again.host_sockets, p.host_sockets);
    auto none = load_profile_file(d.write("n.yaml", "name: n\n")).at(0);
    EXPECT_FALSE(none.writable_tools);
    EXPECT_FALSE(none.host_sockets);
    EXPECT_NE(error_of(d.write("b1.yaml", "name: x\nwritable-tools: yes-please\n"))
                  .find("'writable-tools' must be true or false"),
              std::string::npos);
    EXPECT_NE(error_of(d.write("b2.yaml", "name: x\nhost-sockets: [wayland]\n"))
                  .find("unknown host socket 'wayland'"),
              std::string::npos);
}

TEST(ProfileFile, SeveralProfilesUnderProfilesKey) {
    TempDir d;
    auto f = d.write("b.yaml",
                     "profiles:\n  - name: one\n    match: a\n  - name: two\n    match: [b]\n");
    auto profiles = load_profile_file(f);
    ASSERT_EQ(profiles.size(), 2U);
    EXPECT_EQ(profiles[1].name, "two");
    EXPECT_EQ(profiles[1].origin, f + ":4:5");
}

TEST(ProfileFile, ErrorsNameFileLineColumnAndGiveAHint) {
    TempDir d;
    EXPECT_EQ(error_of(d.write("1.yaml", "name: x\nmatchh: [a]\n")),
              d.path() +
                  "/1.yaml:2:1: unknown key 'matchh' (known: name, match, tools, pull, env, path, "
                  "shell, user, writable-tools, host-sockets, elevate, quiet, workdir)");
    EXPECT_EQ(error_of(d.write("2.yaml", "name: x\npath: tools_first\n")),
              d.path() +
                  "/2.yaml:2:7: 'path' must be tools-first, container-first or tools-only "
                  "(tools-only is the default)");
    EXPECT_NE(error_of(d.write("3.yaml", "name: x\nenv: {inherit: some}\n"))
                  .find("3.yaml:2:16: 'inherit' must be"),
              std::string::npos);
    EXPECT_NE(error_of(d.write("4.yaml", "name: [x\n")).find("4.yaml:"), std::string::npos);
    EXPECT_NE(
        error_of(d.write("5.yaml", "match: [a]\n")).find("5.yaml:1:1: the profile has no name"),
        std::string::npos);
    EXPECT_NE(
        error_of(d.write("6.yaml", "profiles:\n  - name: a\n  - name: a\n")).find("defined twice"),
        std::string::npos);
}

TEST(LoadProfiles, ABadFileIsSkippedWholeAndLaterSourcesOverride) {
    TempDir d;
    d.write("sys/10-base.yaml", "name: base\nmatch: '*'\nshell: /bin/sh\n");
    d.write("sys/20-bad.yaml",
            "profiles:\n  - name: good-but-in-bad-file\n  - name: broken\n    path: nowhere\n");
    auto user = d.write("user.yaml", "name: base\nmatch: '*'\nshell: /bin/bash\n");
    auto loaded = load_profiles({{d.path() + "/sys"}, {user}});
    ASSERT_EQ(loaded.profiles.size(), 1U);
    EXPECT_EQ(loaded.profiles[0].shell, "/bin/bash");
    ASSERT_EQ(loaded.errors.size(), 1U);
    EXPECT_FALSE(loaded.errors[0].named_by_user);
    EXPECT_NE(loaded.errors[0].message.find("20-bad.yaml:4:11"), std::string::npos)
        << loaded.errors[0].message;
}

TEST(SelectProfile, ExactNameBeatsGlobAndTiesAreErrors) {
    std::vector<Profile> ps(3);
    ps[0].name = "all";
    ps[0].match = {"*"};
    ps[1].name = "web";
    ps[1].match = {"web"};
    ps[2].name = "web-glob";
    ps[2].match = {"web*"};
    EXPECT_EQ(select_profile(ps, "web", std::nullopt)->name, "web");
    EXPECT_EQ(select_profile(ps, "db", std::nullopt)->name, "all");
    EXPECT_EQ(select_profile(ps, "web", std::string("all"))->name, "all");
    EXPECT_THROW(select_profile(ps, "webapp", std::nullopt), UserError);  // "*" and "web*"
    EXPECT_THROW(select_profile(ps, "x", std::string("missing")), UserError);
    EXPECT_FALSE(select_profile({}, "x", std::nullopt));
}

TEST(ProfileYaml, ShowRoundTrips) {
    TempDir d;
    auto f = d.write(
        "r.yaml",
        "name: r\nmatch: [a, 'b*']\nenv: {inherit: none, set: {A: '1'}}\npath: container-first\n");
    auto p = load_profile_file(f).at(0);
    auto again = load_profile_file(d.write("r2.yaml", profile_to_yaml(p))).at(0);
    EXPECT_EQ(again.match, p.match);
    EXPECT_EQ(again.env->inherit, EnvPolicy::Inherit::none);
    EXPECT_EQ(again.env->set.at("A"), "1");
    EXPECT_EQ(again.path, PathPolicy::container_first);
}

TEST(ProfileFile, ElevateNamesLayersAndRejectsUnknownOnes) {
    TempDir d;
    auto profiles = load_profile_file(d.write("1.yaml", "name: x\nelevate: [seccomp, keyring]\n"));
    ASSERT_EQ(profiles.size(), 1U);
    EXPECT_EQ(profiles[0].elevate, (std::vector<std::string>{"seccomp", "keyring"}));
    EXPECT_NE(error_of(d.write("2.yaml", "name: x\nelevate: [nothing]\n"))
                  .find("2.yaml:2:10: unknown layer 'nothing'"),
              std::string::npos);
}
