#include "environment.hpp"

#include <gtest/gtest.h>

#include <algorithm>

using namespace cntr;

namespace {
SessionEnvironmentInput input(std::vector<std::string> env,
                              std::optional<std::string> term = std::nullopt,
                              std::optional<std::string> tz = std::nullopt) {
    return {.container_env = std::move(env),
            .tools_path = "/t/bin",
            .term = term,
            .tz = tz,
            .env = {},
            .path = PathPolicy::tools_only,
            .session_vars = {}};
}
}  // namespace

TEST(SessionEnvironment, ReplacesPathAndKeepsTheRest) {
    auto env =
        session_environment(input({"PATH=/c/bin", "FOO=bar", "HOME=/root"}, std::nullopt, "UTC"));
    EXPECT_EQ(env_lookup(env, "PATH"), "/t/bin");
    EXPECT_EQ(env_lookup(env, kContainerPathVar), "/c/bin");
    EXPECT_EQ(env_lookup(env, "FOO"), "bar");
    EXPECT_EQ(env_lookup(env, "HOME"), "/root");
    EXPECT_EQ(env_lookup(env, "TZ"), "UTC");
    EXPECT_FALSE(env_lookup(env, "TERM"));
}

TEST(SessionEnvironment, ContainerTermAndTzWin) {
    auto env = session_environment(input({"TERM=vt100", "TZ=Europe/Berlin"}, "xterm", "UTC"));
    EXPECT_EQ(env_lookup(env, "TERM"), "vt100");
    EXPECT_EQ(env_lookup(env, "TZ"), "Europe/Berlin");
    EXPECT_EQ(env_lookup(env, kContainerPathVar), kDefaultPath);
}

TEST(SessionEnvironment, UserTermOnlyWithTerminal) {
    auto env = session_environment(input({}, "xterm-256color"));
    EXPECT_EQ(env_lookup(env, "TERM"), "xterm-256color");
}

TEST(SessionEnvironment, DropsMalformedEntries) {
    auto env = session_environment(input({"NOEQUALS", "A=1"}));
    for (const auto& e : env) EXPECT_NE(e, "NOEQUALS");
}

TEST(EnvPolicy, InheritNoneKeepsOnlyWhatCntrAndTheProfileSet) {
    auto in = input({"SECRET=1", "PATH=/c"});
    in.env.inherit = EnvPolicy::Inherit::none;
    in.env.set = {{"EDITOR", "vim"}};
    auto env = session_environment(in);
    EXPECT_FALSE(env_lookup(env, "SECRET"));
    EXPECT_EQ(env_lookup(env, "EDITOR"), "vim");
    EXPECT_EQ(env_lookup(env, "PATH"), "/t/bin");
    EXPECT_EQ(env_lookup(env, kContainerPathVar), "/c");
}

TEST(EnvPolicy, InheritListSetAndUnset) {
    auto in = input({"LANG=C.UTF-8", "HOME=/root", "SECRET=1", "HISTFILE=/x"});
    in.env.inherit = EnvPolicy::Inherit::list;
    in.env.inherit_names = {"LANG", "HOME", "HISTFILE"};
    in.env.set = {{"HOME", "/tmp"}};
    in.env.unset = {"HISTFILE"};
    auto env = session_environment(in);
    EXPECT_EQ(env_lookup(env, "LANG"), "C.UTF-8");
    EXPECT_EQ(env_lookup(env, "HOME"), "/tmp");
    EXPECT_FALSE(env_lookup(env, "SECRET"));
    EXPECT_FALSE(env_lookup(env, "HISTFILE"));
}

TEST(PathPolicy, EachPolicyOrdersToolsAndContainerDirectories) {
    EXPECT_EQ(session_path(PathPolicy::tools_only, "/usr/bin:/bin", "/app/bin:/bin"),
              "/usr/bin:/bin");
    EXPECT_EQ(session_path(PathPolicy::tools_first, "/usr/bin:/bin", "/app/bin:/bin"),
              "/usr/bin:/bin:/var/lib/cntr/app/bin:/var/lib/cntr/bin");
    EXPECT_EQ(session_path(PathPolicy::container_first, "/usr/bin", "/app/bin:relative:/bin"),
              "/var/lib/cntr/app/bin:/var/lib/cntr/bin:/usr/bin");
    EXPECT_EQ(parse_path_policy("tools-first"), PathPolicy::tools_first);
    EXPECT_FALSE(parse_path_policy("tools_first"));
}

TEST(TimezoneFor, ZoneinfoLinkGivesZoneName) {
    EXPECT_EQ(timezone_for("/usr/share/zoneinfo/Asia/Tokyo", false), "Asia/Tokyo");
    EXPECT_EQ(timezone_for("../usr/share/zoneinfo/Etc/UTC", false), "Etc/UTC");
}

TEST(TimezoneFor, RegularFileIsReadThroughTheContainerTree) {
    EXPECT_EQ(timezone_for(std::nullopt, true), ":/var/lib/cntr/etc/localtime");
}

TEST(TimezoneFor, NothingMeansUtc) {
    EXPECT_EQ(timezone_for(std::nullopt, false), "UTC");
    EXPECT_EQ(timezone_for("/somewhere/else", false), "UTC");
}

TEST(SessionEnvironment, NeverInheritsStartupVariablesUnlessTheProfileNamesThem) {
    auto env = session_environment(input({"LD_PRELOAD=/x.so", "LD_AUDIT=/y.so", "BASH_ENV=/rc",
                                          "MALLOC_CHECK_=3", "PYTHONSTARTUP=/s.py", "APP=1"}));
    for (const char* name :
         {"LD_PRELOAD", "LD_AUDIT", "BASH_ENV", "MALLOC_CHECK_", "PYTHONSTARTUP"})
        EXPECT_FALSE(env_lookup(env, name)) << name;
    EXPECT_EQ(env_lookup(env, "APP"), "1");

    auto in = input({"LD_LIBRARY_PATH=/opt/lib", "LD_PRELOAD=/x.so"});
    in.env.inherit = EnvPolicy::Inherit::list;
    in.env.inherit_names = {"LD_LIBRARY_PATH"};
    in.env.set = {{"PYTHONPATH", "/mine"}};
    env = session_environment(in);
    EXPECT_EQ(env_lookup(env, "LD_LIBRARY_PATH"), "/opt/lib");
    EXPECT_EQ(env_lookup(env, "PYTHONPATH"), "/mine");
    EXPECT_FALSE(env_lookup(env, "LD_PRELOAD"));
}

TEST(SessionEnvironment, StartupVariableNamesAreMatchedWhole) {
    EXPECT_TRUE(is_startup_variable("LD_PRELOAD"));
    EXPECT_TRUE(is_startup_variable("ENV"));
    EXPECT_FALSE(is_startup_variable("ENVIRONMENT"));
    EXPECT_FALSE(is_startup_variable("OLD_PRELOAD"));
    EXPECT_FALSE(is_startup_variable("HOME"));
}

TEST(SessionEnvironment, CntrsSessionVariablesWinOverTheContainerAndTheProfile) {
    auto in = input({"CNTR_CONTAINER=forged", "CNTR_SESSION=forged"});
    in.env.set["CNTR_CONTAINER"] = "profile";
    in.session_vars = {{"CNTR_SESSION", "docker:web"}, {"CNTR_CONTAINER", "web"}};
    auto env = session_environment(in);
    EXPECT_EQ(env_lookup(env, "CNTR_SESSION"), "docker:web");
    EXPECT_EQ(env_lookup(env, "CNTR_CONTAINER"), "web");
    EXPECT_EQ(std::ranges::count_if(
                  env, [](const std::string& e) { return e.starts_with("CNTR_CONTAINER="); }),
              1);
}
