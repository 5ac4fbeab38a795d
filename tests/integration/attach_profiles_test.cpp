// Team debug profiles end to end: which profile a container gets, each env
// and PATH policy, user and shell, and what a broken file does.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cntr_binary.hpp"
#include "docker_container.hpp"

using namespace cntr::test;
namespace fs = std::filesystem;

namespace {

// Points cntr's profile search at a private directory for one test.
class ProfileDirs {
  public:
    ProfileDirs() {
        std::string tmpl = "/tmp/cntr-profiles-it.XXXXXX";
        root_ = ::mkdtemp(tmpl.data());
        fs::create_directories(root_ / "sys");
        fs::create_directories(root_ / "xdg/cntr/profiles.d");
        ::setenv("CNTR_SYSTEM_PROFILES_DIR", (root_ / "sys").c_str(), 1);
        ::setenv("XDG_CONFIG_HOME", (root_ / "xdg").c_str(), 1);
    }
    ~ProfileDirs() {
        ::unsetenv("CNTR_SYSTEM_PROFILES_DIR");
        ::unsetenv("XDG_CONFIG_HOME");
        fs::remove_all(root_);
    }
    std::string system(const std::string& name, const std::string& yaml) const {
        return write(root_ / "sys" / name, yaml);
    }
    std::string user(const std::string& name, const std::string& yaml) const {
        return write(root_ / "xdg/cntr/profiles.d" / name, yaml);
    }
    std::string file(const std::string& name, const std::string& yaml) const {
        return write(root_ / name, yaml);
    }

  private:
    static std::string write(const fs::path& p, const std::string& yaml) {
        std::ofstream(p) << yaml;
        return p.string();
    }
    fs::path root_;
};

ProcessResult attach_with(const std::vector<std::string>& flags, const std::string& container,
                          const std::string& script) {
    std::vector<std::string> argv = {kCntr, "attach"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.insert(argv.end(), {container, "--", "sh", "-c", script});
    return run(argv);
}

}  // namespace

TEST(Profiles, ExactNameBeatsGlobAndFlagsPickByName) {
    ProfileDirs dirs;
    DockerContainer c;
    dirs.system("all.yaml", "name: all\nmatch: '*'\nenv: {set: {WHICH: all}}\n");
    dirs.user("exact.yaml", "name: exact\nmatch: [" + c.name() + "]\nenv: {set: {WHICH: exact}}\n");
    EXPECT_EQ(trim(attach_with({}, c.name(), "echo $WHICH").out), "exact");
    EXPECT_EQ(trim(attach_with({"--profile", "all"}, c.name(), "echo $WHICH").out), "all");
    auto missing = attach_with({"--profile", "nope"}, c.name(), "true");
    EXPECT_EQ(missing.exit_code, 125);
    EXPECT_NE(missing.err.find("no profile named 'nope'"), std::string::npos) << missing.err;
}

TEST(Profiles, TwoEqualMatchesAreAnErrorNamingBoth) {
    ProfileDirs dirs;
    DockerContainer c;
    dirs.system("a.yaml", "name: first\nmatch: 'cntr-it-*'\n");
    dirs.system("b.yaml", "name: second\nmatch: '*-it-*'\n");
    auto r = attach_with({}, c.name(), "true");
    EXPECT_EQ(r.exit_code, 125);
    EXPECT_NE(r.err.find("first"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("second"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--profile"), std::string::npos) << r.err;
}

TEST(Profiles, EnvPolicies) {
    ProfileDirs dirs;
    DockerContainer c({"-e", "KEEP=1", "-e", "DROP=1", "-e", "SECRET=1"});
    auto f = dirs.file("env.yaml", R"(profiles:
  - name: none
    env: {inherit: none, set: {ADDED: yes}}
  - name: list
    env: {inherit: [KEEP, SECRET], unset: [SECRET]}
  - name: all
    env: {inherit: all, set: {KEEP: replaced}}
)");
    const std::string show = "echo KEEP=$KEEP DROP=$DROP SECRET=$SECRET ADDED=$ADDED";
    EXPECT_EQ(trim(attach_with({"--profiles", f, "--profile", "none"}, c.name(), show).out),
              "KEEP= DROP= SECRET= ADDED=yes");
    EXPECT_EQ(trim(attach_with({"--profiles", f, "--profile", "list"}, c.name(), show).out),
              "KEEP=1 DROP= SECRET= ADDED=");
    EXPECT_EQ(trim(attach_with({"--profiles", f, "--profile", "all"}, c.name(), show).out),
              "KEEP=replaced DROP=1 SECRET=1 ADDED=");
}

TEST(Profiles, PathPolicies) {
    ProfileDirs dirs;
    DockerContainer c({"-e", "PATH=/bin:/sbin"});
    auto f = dirs.file("path.yaml", R"(profiles:
  - {name: tf, path: tools-first}
  - {name: cf, path: container-first}
  - {name: to, path: tools-only}
)");
    const char* host_path = std::getenv("PATH");
    const std::string show = "echo $PATH; which ls";
    auto tf = attach_with({"--profiles", f, "--profile", "tf"}, c.name(), show);
    EXPECT_EQ(tf.out.substr(0, tf.out.find('\n')),
              std::string(host_path) + ":/var/lib/cntr/bin:/var/lib/cntr/sbin");
    auto cf = attach_with({"--profiles", f, "--profile", "cf"}, c.name(), show);
    EXPECT_EQ(cf.out, "/var/lib/cntr/bin:/var/lib/cntr/sbin:" + std::string(host_path) +
                          "\n/var/lib/cntr/bin/ls\n");
    auto to = attach_with({"--profiles", f, "--profile", "to"}, c.name(), "echo $PATH");
    EXPECT_EQ(trim(to.out), host_path);
    // The flag overrides the profile.
    auto flag = attach_with({"--profiles", f, "--profile", "cf", "--path", "tools-only"}, c.name(),
                            "echo $PATH");
    EXPECT_EQ(trim(flag.out), host_path);
}

TEST(Profiles, UserAndShell) {
    ProfileDirs dirs;
    DockerContainer c;
    dirs.system("u.yaml", "name: u\nmatch: [" + c.name() + "]\nuser: app\nshell: /bin/bash\n");
    auto r = attach_with({}, c.name(), "id");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(r.out.starts_with("uid=1000(app) gid=1000(app)")) << r.out;
    // No command: the profile's shell runs (bash reads the command from stdin here).
    auto shell = run({kCntr, "attach", c.name()}, "echo $BASH_VERSION | cut -c1; id -u\n");
    EXPECT_EQ(shell.out, "5\n1000\n") << shell.err;
    auto flag = attach_with({"--user", "root"}, c.name(), "id -u");
    EXPECT_EQ(trim(flag.out), "0");
}

TEST(Profiles, BadYamlIsReportedWithPositionAndNeverHalfApplied) {
    ProfileDirs dirs;
    DockerContainer c;
    auto bad = dirs.file("bad.yaml",
                         "profiles:\n  - name: ok\n    match: ['*']\n    env: {set: {HALF: "
                         "applied}}\n  - name: broken\n    pathh: tools-first\n");
    // Named on the command line: an error.
    auto r = attach_with({"--profiles", bad}, c.name(), "echo $HALF");
    EXPECT_EQ(r.exit_code, 125);
    EXPECT_NE(r.err.find(bad + ":6:5: unknown key 'pathh'"), std::string::npos) << r.err;
    // In a search directory: skipped whole with a warning, the session still starts.
    dirs.system("bad.yaml",
                "profiles:\n  - name: ok\n    match: ['*']\n    env: {set: {HALF: applied}}\n  - "
                "name: broken\n    pathh: tools-first\n");
    auto w = attach_with({}, c.name(), "echo HALF=$HALF");
    EXPECT_EQ(w.exit_code, 0) << w.err;
    EXPECT_EQ(trim(w.out), "HALF=");
    EXPECT_NE(w.err.find("bad.yaml:6:5"), std::string::npos) << w.err;

    auto v = run({kCntr, "profiles", "validate", bad});
    EXPECT_EQ(v.exit_code, 1);
    EXPECT_NE(v.err.find(":6:5: unknown key 'pathh' (known: "), std::string::npos) << v.err;
    auto syntax =
        run({kCntr, "profiles", "validate", dirs.file("syntax.yaml", "name: [unclosed\n")});
    EXPECT_EQ(syntax.exit_code, 1);
    EXPECT_NE(syntax.err.find("syntax.yaml:"), std::string::npos) << syntax.err;
}

TEST(Profiles, ListShowValidate) {
    ProfileDirs dirs;
    dirs.system("team.yaml",
                "name: team\nmatch: ['web-*']\ntools: container:fat\npath: tools-first\n");
    auto list = run({kCntr, "profiles", "list"});
    EXPECT_EQ(list.exit_code, 0);
    EXPECT_NE(list.out.find("team"), std::string::npos) << list.out;
    EXPECT_NE(list.out.find("container:fat"), std::string::npos) << list.out;
    auto show = run({kCntr, "profiles", "show", "team"});
    EXPECT_EQ(show.exit_code, 0);
    EXPECT_NE(show.out.find("path: tools-first"), std::string::npos) << show.out;
    EXPECT_EQ(run({kCntr, "profiles", "validate"}).exit_code, 0);
    // The shipped examples and schema are valid profiles.
    EXPECT_EQ(run({kCntr, "profiles", "validate",
                   std::string(CNTR_SOURCE_DIR) + "/examples/profiles/team.yaml",
                   std::string(CNTR_SOURCE_DIR) + "/profiles/schema.yaml"})
                  .exit_code,
              0);
}

// A profile may lift confinement layers by name (issue 12); cntr says so at
// session start, and everything it does not name stays applied.
TEST(AttachProfiles, ElevateKeyLiftsTheNamedLayerWithAWarning) {
    ProfileDirs dirs;
    DockerContainer c;
    dirs.user("elevated.yaml", "name: elevated\nmatch: [" + c.name() + "]\nelevate: [seccomp]\n");
    auto r = attach(c.name(), {"grep", "-E", "^(Seccomp|CapBnd):", "/proc/self/status"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.substr(r.out.find("Seccomp:")), "Seccomp:\t0\n") << r.out;
    EXPECT_NE(r.err.find("elevated session: the container's seccomp confinement is NOT applied"),
              std::string::npos)
        << r.err;
    // caps were not named: the bounding set is the container's (plus the fence).
    EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "CapBnd:\t00000008a80425fb") << r.out;
}
