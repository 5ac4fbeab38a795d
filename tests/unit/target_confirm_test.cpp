// Row 13 of issue 12: the PID an engine names is confirmed after cntr holds a
// pidfd of it. Real processes and pidfds; only the engine's second answer is a
// function the test gives (what the engine would say is the input here).
#include "target_confirm.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.hpp"

using namespace cntr;

namespace {

// A child that sleeps until killed, with the context cntr would have captured.
struct Target {
    pid_t pid = -1;
    ProcessContext ctx;
    Target() {
        pid = ::fork();
        if (pid == 0) {
            ::pause();
            ::_exit(0);
        }
        ctx.pid = pid;
        ctx.pidfd = Fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    }
    void end() {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
            pid = -1;
        }
    }
    Target(const Target&) = delete;
    Target& operator=(const Target&) = delete;
    ~Target() { end(); }
};

TEST(ConfirmTarget, TheSamePidOfALiveProcessIsConfirmed) {
    Target t;
    ASSERT_TRUE(t.ctx.pidfd);
    EXPECT_NO_THROW(confirm_same_process(t.ctx, "app", [&] { return t.ctx.pid; }));
}

TEST(ConfirmTarget, AnotherPidMeansTheContainerRestarted) {
    Target t;
    try {
        confirm_same_process(t.ctx, "app", [&] { return t.ctx.pid + 1; });
        FAIL() << "a different PID was accepted";
    } catch (const UserError& e) {
        EXPECT_NE(std::string(e.what()).find("restarted"), std::string::npos) << e.what();
    }
}

TEST(ConfirmTarget, TheCapturedProcessGoneIsRefusedEvenIfTheNumberMatches) {
    // What PID reuse looks like from here: the engine names the same number,
    // but the process cntr captured has exited (the number may be another's).
    Target t;
    const pid_t pid = t.ctx.pid;
    t.end();
    EXPECT_THROW(confirm_same_process(t.ctx, "app", [&] { return pid; }), UserError);
}

TEST(ConfirmTarget, AContainerTheEngineNoLongerKnowsWentAway) {
    Target t;
    try {
        confirm_same_process(t.ctx, "app",
                             []() -> pid_t { throw UserError("no container 'app'"); });
        FAIL() << "accepted";
    } catch (const UserError& e) {
        EXPECT_NE(std::string(e.what()).find("went away"), std::string::npos) << e.what();
    }
}

}  // namespace
