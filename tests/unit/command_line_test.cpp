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
