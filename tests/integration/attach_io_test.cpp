// The session's stdio: exit statuses, plain pipes (byte-exact) versus a PTY
// from the container's devpts (tty name, window size, Ctrl-C, terminal
// restored), and that no descriptor of cntr's reaches the session.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <random>

#include "cntr_binary.hpp"
#include "docker_container.hpp"

using namespace cntr::test;

class AttachIo : public ::testing::Test {
  protected:
    DockerContainer c;
};

TEST_F(AttachIo, ExitStatusIsTheCommands) {
    EXPECT_EQ(attach_sh(c.name(), "exit 42").exit_code, 42);
    EXPECT_EQ(attach(c.name(), {"true"}).exit_code, 0);
    EXPECT_EQ(attach_sh(c.name(), "kill -TERM $$").exit_code, 128 + SIGTERM);
    auto missing = attach(c.name(), {"no-such-command-xyz"});
    EXPECT_EQ(missing.exit_code, 127);
    EXPECT_NE(missing.err.find("no-such-command-xyz"), std::string::npos) << missing.err;
}

TEST_F(AttachIo, PipesAreByteExact) {
    std::string data(3 * 1024 * 1024 + 17, '\0');
    std::mt19937 rng(42);
    for (auto& ch : data) ch = static_cast<char>(rng());
    auto r = attach(c.name(), {"cat"}, data);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(r.out.size(), data.size());
    EXPECT_TRUE(r.out == data);
}

TEST_F(AttachIo, WithoutATerminalThereIsNoPty) {
    auto r = attach(c.name(), {"tty"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(trim(r.out), "not a tty");
}

TEST_F(AttachIo, OnATerminalTheSessionHasANamedPtyOfTheRightSize) {
    winsize ws{.ws_row = 33, .ws_col = 77, .ws_xpixel = 0, .ws_ypixel = 0};
    auto r = run_on_pty({kCntr, "attach", c.name(), "--", "sh", "-c",
                         "tty; stty size; test -e \"$(tty)\" && echo name-resolves"},
                        ws, nullptr);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find("/dev/pts/"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("33 77"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("name-resolves"), std::string::npos) << r.out;
}

TEST_F(AttachIo, DockersTerminalFlagsAreAnsweredAndTheSessionStillHasAPty) {
    // Issue 15, item 5: `-it` was "not expected" and `-ti` read as "-t i".
    winsize ws{.ws_row = 24, .ws_col = 80, .ws_xpixel = 0, .ws_ypixel = 0};
    for (const std::string flag : {"-it", "-ti", "-i"}) {
        auto r = run_on_pty({kCntr, "attach", flag, c.name(), "--", "tty"}, ws, nullptr);
        ASSERT_EQ(r.exit_code, 0) << flag << ": " << r.out;
        EXPECT_TRUE(r.out.starts_with(
            "cntr: warning: ignoring " + flag +
            ": cntr allocates a terminal by itself when stdin and stdout are terminals, and -t "
            "is --type (the container engine), as in upstream cntr\r\n"))
            << r.out;
        EXPECT_NE(r.out.find("/dev/pts/"), std::string::npos) << r.out;
    }
}

TEST_F(AttachIo, CtrlCReachesTheCommandAndTheTerminalIsRestored) {
    winsize ws{.ws_row = 24, .ws_col = 80, .ws_xpixel = 0, .ws_ypixel = 0};
    bool sent = false;
    termios after{};
    auto r = run_on_pty(
        {kCntr, "attach", c.name(), "--", "sh", "-c", "echo started; exec sleep 100"}, ws,
        [&](int master, const std::string& out) {
            if (!sent && out.find("started") != std::string::npos) {
                ::usleep(200000);
                ASSERT_EQ(::write(master, "\x03", 1), 1);
                sent = true;
            }
        },
        std::chrono::seconds(30),
        [&](int master) {
            // The slave side's settings as cntr left them.
            ::tcgetattr(master, &after);
        });
    ASSERT_TRUE(sent) << r.out;
    EXPECT_EQ(r.exit_code, 128 + SIGINT) << r.out;
    EXPECT_NE(after.c_lflag & ICANON, 0U) << "terminal left in raw mode";
    EXPECT_NE(after.c_lflag & ECHO, 0U) << "terminal left without echo";
}

TEST_F(AttachIo, InteractiveShellRunsCommandsTypedIntoIt) {
    winsize ws{.ws_row = 24, .ws_col = 80, .ws_xpixel = 0, .ws_ypixel = 0};
    int step = 0;
    auto r = run_on_pty({kCntr, "attach", c.name(), "--", "/bin/sh"}, ws,
                        [&](int master, const std::string& out) {
                            if (step == 0 && out.find('#') != std::string::npos) {
                                const char* line = "echo $((6*7))-done; exit 3\r";
                                ASSERT_GT(::write(master, line, strlen(line)), 0);
                                step = 1;
                            }
                        });
    EXPECT_EQ(r.exit_code, 3) << r.out;
    EXPECT_NE(r.out.find("42-done"), std::string::npos) << r.out;
}

TEST_F(AttachIo, CtrlZStopsTheForegroundJobOfTheShell) {
    winsize ws{.ws_row = 24, .ws_col = 80, .ws_xpixel = 0, .ws_ypixel = 0};
    int step = 0;
    auto r = run_on_pty(
        {kCntr, "attach", c.name(), "--", "bash", "--norc", "--noprofile", "-i"}, ws,
        [&](int master, const std::string& out) {
            auto type = [&](const char* s) { ASSERT_GT(::write(master, s, strlen(s)), 0); };
            if (step == 0 && out.find("# ") != std::string::npos) {
                type("sleep 100\r");
                step = 1;
            } else if (step == 1 && out.find("sleep 100") != std::string::npos) {
                ::usleep(300000);
                type("\x1a");
                step = 2;
            } else if (step == 2 && out.find("Stopped") != std::string::npos) {
                type("kill -9 %1; wait %1; exit 5\r");
                step = 3;
            } else if (step == 3 && out.find("There are stopped jobs") != std::string::npos) {
                // bash may not have noticed the kill yet; a second exit always ends it.
                type("exit 5\r");
                step = 4;
            }
        });
    EXPECT_GE(step, 3) << r.out;
    EXPECT_EQ(r.exit_code, 5) << r.out;
}

TEST_F(AttachIo, TerminalProgramsFindTheirTerminal) {
    winsize ws{.ws_row = 24, .ws_col = 80, .ws_xpixel = 0, .ws_ypixel = 0};
    // tmux attaches a client to the session's terminal (it needs ttyname());
    // sudo looks its terminal up too. Its socket goes to the container's /tmp.
    // sudo reads /etc/sudoers (0440), which the tools' unprivileged server does not
    // serve: only --writable-tools lets it work (docs/security.md).
    auto r = run_on_pty({kCntr, "attach", "--writable-tools", c.name(), "--", "sh", "-c",
                         "sudo -n id -un && tmux -S /var/lib/cntr/tmp/tmux.sock new-session "
                         "'echo inside-tmux-$((40+2)); sleep 1' && echo tmux-done"},
                        ws, nullptr);
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find("root"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("inside-tmux-42"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("tmux-done"), std::string::npos) << r.out;
}

TEST_F(AttachIo, TerminalProgramsWorkOnReadOnlyToolsButSudo) {
    winsize ws{.ws_row = 24, .ws_col = 80, .ws_xpixel = 0, .ws_ypixel = 0};
    auto r = run_on_pty({kCntr, "attach", c.name(), "--", "sh", "-c",
                         "sudo -n id -un; tmux new-session 'echo inside-tmux-$((40+2)); sleep 1' "
                         "&& echo tmux-done"},
                        ws, nullptr);
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find("unable to open /etc/sudoers"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("inside-tmux-42"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("tmux-done"), std::string::npos) << r.out;
}

TEST_F(AttachIo, NoHostDescriptorReachesTheSession) {
    // An inheritable descriptor in cntr's caller must not get through.
    int leaked = ::open("/etc/hostname", O_RDONLY);  // no O_CLOEXEC on purpose
    ASSERT_GE(leaked, 0);
    ASSERT_EQ(::dup2(leaked, 57), 57);
    // No pipeline in the shell: while it sets one up, the shell itself holds the pipe's
    // descriptors, and ls would list them (seen as a flaky "0 1 2 4" under load).
    auto r = attach_sh(c.name(), "ls /proc/$$/fd");
    ::close(57);
    ::close(leaked);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string fds = trim(r.out);
    std::ranges::replace(fds, '\n', ' ');
    EXPECT_EQ(fds, "0 1 2");
}

TEST_F(AttachIo, HostToolsWork) {
    auto r =
        attach_sh(c.name(),
                  "python3 -c 'import os; print(\"py\", os.getpid() < 100)' && "
                  "strace -f -o /dev/null true && echo strace-ok && "
                  "gdb -batch -ex 'print 6*7' 2>/dev/null | tail -1 && "
                  "printf 'hello\\n' > /var/lib/cntr/tmp/vimtest && vim -es -c '%s/hello/vim-ok/' "
                  "-c 'wq' /var/lib/cntr/tmp/vimtest && cat /var/lib/cntr/tmp/vimtest");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("py True"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("strace-ok"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("$1 = 42"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("vim-ok"), std::string::npos) << r.out;
}
