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
