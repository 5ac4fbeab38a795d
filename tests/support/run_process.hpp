// Running programs from tests: with pipes (exact bytes in and out) or on a
// PTY the test owns, always with a deadline so a hang fails the test instead
// of stalling CI.
#pragma once

#include <sys/ioctl.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace cntr::test {

struct ProcessResult {
    int exit_code = -1;  // 128+N for signal N; -1 when killed at the deadline
    std::string out;
    std::string err;
    bool timed_out = false;
};

ProcessResult run(const std::vector<std::string>& argv, const std::string& input = {},
                  std::chrono::seconds deadline = std::chrono::seconds(60));

// Runs argv with stdin/stdout/stderr on a new PTY of size `size`. `interact`
// is called with (master fd, output so far) whenever output arrives; it may
// write to the master.
ProcessResult run_on_pty(const std::vector<std::string>& argv, winsize size,
                         const std::function<void(int, const std::string&)>& interact,
                         std::chrono::seconds deadline = std::chrono::seconds(60),
                         std::function<void(int)> after_exit = nullptr);

// Shell helper: run("sh", "-c", script), asserting nothing.
ProcessResult sh(const std::string& script,
                 std::chrono::seconds deadline = std::chrono::seconds(120));

// Polls `pred` every 50 ms until it holds or `deadline` passes.
bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds deadline);

std::string trim(std::string s);

}  // namespace cntr::test
