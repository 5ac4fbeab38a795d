// Shared helpers of the cntr-fatimg tests: a scratch directory per test (removed
// even when the test fails), the real cntr-fatimg binary run against a store in it,
// and a snapshot of the store to prove that a failed operation changed nothing.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "image_builder.hpp"
#include "run_process.hpp"

namespace cntr::fatimg::test {

class Scratch {
  public:
    Scratch();
    ~Scratch();
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    [[nodiscard]] const std::string& dir() const { return dir_; }
    [[nodiscard]] std::string store() const { return dir_ + "/store"; }

  private:
    std::string dir_;
};

// Runs cntr-fatimg --root STORE ARGS... (60 s deadline unless given).
cntr::test::ProcessResult fatimg(const std::string& store, const std::vector<std::string>& args,
                                 std::chrono::seconds deadline = std::chrono::seconds(120));
std::string fatimg_binary();

// Every path under `dir` (relative), excluding the lock file: compare before/after.
std::set<std::string> snapshot(const std::string& dir);

std::string read_text(const std::string& path);

struct stat lstat_of(const std::string& path);

// A program run with its peak memory measured: wait4(2) reports the child's maximum
// resident set (ru_maxrss, of the child and the descendants it waited for), which
// bounds memory without RLIMIT_AS (which ASan builds cannot run under). stdout and
// stderr are captured through files; past `deadline` the child is killed.
struct Measured {
    int exit_code = -1;  // 128+N for signal N; -1 when killed at the deadline
    std::string out, err;
    long max_rss_kib = 0;
    bool timed_out = false;
    double seconds = 0;
};
Measured run_measured(const std::vector<std::string>& argv,
                      std::chrono::seconds deadline = std::chrono::seconds(60));

// Key=value pairs written by tests/engines/registry-fixture.sh setup.
std::map<std::string, std::string> registry_env();

// Pushes an OCI layout to a registry with skopeo; returns skopeo's result.
cntr::test::ProcessResult skopeo_push(const std::string& layout_dir, const std::string& tag,
                                      const std::string& dest,
                                      const std::vector<std::string>& extra = {});

// Uploads an OCI layout's image to an anonymous registry with the distribution API
// itself (curl), byte for byte: skopeo would compress uncompressed layers on push.
// Returns "" on success, else what failed.
std::string push_raw(const std::string& layout_dir, const std::string& registry,
                     const std::string& repo, const std::string& tag);

}  // namespace cntr::fatimg::test
