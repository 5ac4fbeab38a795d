#include "environment.hpp"

#include <gtest/gtest.h>

using namespace cntr;

TEST(SessionEnvironment, ReplacesPathAndKeepsTheRest) {
    auto env = session_environment(
        {{"PATH=/c/bin", "FOO=bar", "HOME=/root"}, "/t/bin", std::nullopt, "UTC"});
    EXPECT_EQ(env_lookup(env, "PATH"), "/t/bin");
    EXPECT_EQ(env_lookup(env, kContainerPathVar), "/c/bin");
    EXPECT_EQ(env_lookup(env, "FOO"), "bar");
    EXPECT_EQ(env_lookup(env, "HOME"), "/root");
    EXPECT_EQ(env_lookup(env, "TZ"), "UTC");
    EXPECT_FALSE(env_lookup(env, "TERM"));
}

TEST(SessionEnvironment, ContainerTermAndTzWin) {
    auto env = session_environment({{"TERM=vt100", "TZ=Europe/Berlin"}, "/t", "xterm", "UTC"});
    EXPECT_EQ(env_lookup(env, "TERM"), "vt100");
    EXPECT_EQ(env_lookup(env, "TZ"), "Europe/Berlin");
    EXPECT_EQ(env_lookup(env, kContainerPathVar), kDefaultPath);
}

TEST(SessionEnvironment, UserTermOnlyWithTerminal) {
    auto env = session_environment({{}, "/t", "xterm-256color", std::nullopt});
    EXPECT_EQ(env_lookup(env, "TERM"), "xterm-256color");
}

TEST(SessionEnvironment, DropsMalformedEntries) {
    auto env = session_environment({{"NOEQUALS", "A=1"}, "/t", std::nullopt, std::nullopt});
    for (const auto& e : env) EXPECT_NE(e, "NOEQUALS");
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
