// Helpers for the engine tests (engine_*_test.cpp): unique container names,
// a guard that removes a container however the test ends, and checks shared
// by every engine (attach and exec by the engine's own name, cntr ps).
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cntr_binary.hpp"
#include "run_process.hpp"

namespace cntr::test {

// "cntrt-<what>-<pid>-<n>": fixtures' cleanup removes cntrt-* leftovers.
std::string unique_name(const std::string& what);

// Runs a shell script when destroyed (container removal), even on failure.
class OnExit {
  public:
    explicit OnExit(std::string script) : script_(std::move(script)) {}
    OnExit(const OnExit&) = delete;
    OnExit& operator=(const OnExit&) = delete;
    ~OnExit() { sh(script_); }

  private:
    std::string script_;
};

// sh -c SCRIPT that must succeed; its stdout (trimmed).
std::string must(const std::string& script);

// `cntr ps --format json` rows as "engine name pid" lines, for EXPECT checks.
std::string ps_rows(const std::vector<std::string>& env = {});

// cntr with environment assignments (NAME=VALUE) in front.
ProcessResult cntr_env(const std::vector<std::string>& env, const std::vector<std::string>& args);

}  // namespace cntr::test
