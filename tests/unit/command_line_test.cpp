#include "command_line.hpp"

#include <gtest/gtest.h>

using cntr::split_command_line;
using V = std::vector<std::string>;

TEST(SplitCommandLine, CommandAfterContainerKeepsItsOwnDashes) {
    auto s = split_command_line({"-t", "docker", "web", "--", "sh", "-c", "a -- b"}, {"-t"}, true);
    EXPECT_EQ(s.cntr_args, (V{"-t", "docker", "web"}));
    EXPECT_EQ(s.command, (V{"sh", "-c", "a -- b"}));
}

TEST(SplitCommandLine, LeadingDoubleDashEndsOptionsForAttach) {
    auto s = split_command_line({"--", "-weird-name", "--", "ls"}, {"-t"}, true);
    EXPECT_EQ(s.cntr_args, (V{"--", "-weird-name"}));
    EXPECT_EQ(s.command, (V{"ls"}));
}

TEST(SplitCommandLine, LeadingDoubleDashStartsCommandForExec) {
    auto s = split_command_line({"--", "ls", "-l"}, {"-t"}, false);
    EXPECT_TRUE(s.cntr_args.empty());
    EXPECT_EQ(s.command, (V{"ls", "-l"}));
}

TEST(SplitCommandLine, SecondPositionalStartsCommand) {
    auto s = split_command_line({"web", "ls", "-l"}, {"-t"}, true);
    EXPECT_EQ(s.cntr_args, (V{"web"}));
    EXPECT_EQ(s.command, (V{"ls", "-l"}));
}

TEST(SplitCommandLine, NoCommand) {
    auto s = split_command_line({"-v", "web"}, {"-t"}, true);
    EXPECT_EQ(s.cntr_args, (V{"-v", "web"}));
    EXPECT_TRUE(s.command.empty());
}

TEST(SplitCommandLine, CommandFirstTakesTheFirstPositionalAsTheCommand) {
    // cntr exec inside a session, as upstream: cntr exec ls -l /
    auto s = split_command_line({"ls", "-l", "/"}, {"-t"}, false, true);
    EXPECT_TRUE(s.cntr_args.empty());
    EXPECT_EQ(s.command, (V{"ls", "-l", "/"}));
    auto dashed = split_command_line({"--", "ls"}, {"-t"}, false, true);
    EXPECT_EQ(dashed.command, (V{"ls"}));
}

TEST(DockerTerminalFlags, AreTakenOnlyWhereTheyAreOptions) {
    V args{"-ti", "--tools", "-i", "-it", "web"};
    auto taken = cntr::take_docker_terminal_flags(args, {"--tools"});
    EXPECT_EQ(taken, (V{"-ti", "-it"}));
    EXPECT_EQ(args, (V{"--tools", "-i", "web"})) << "-i is the value of --tools here";
    V after{"--", "-i"};
    EXPECT_TRUE(cntr::take_docker_terminal_flags(after, {}).empty());
    EXPECT_EQ(after, (V{"--", "-i"}));
}

TEST(NearestWord, SuggestsTyposOnly) {
    const V commands{"attach", "exec", "profiles", "ps", "help"};
    EXPECT_EQ(cntr::nearest_word("attahc", commands), "attach");
    EXPECT_EQ(cntr::nearest_word("exce", commands), "exec");
    EXPECT_EQ(cntr::nearest_word("profile", commands), "profiles");
    EXPECT_EQ(cntr::nearest_word("frobnicate", commands), std::nullopt);
    EXPECT_EQ(cntr::nearest_word("ls", commands), std::nullopt);
}
