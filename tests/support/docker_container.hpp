// A docker container for one test: started from the locally built test image
// with the label cntr-test=1, removed (docker rm -f) when the object dies,
// even when the test failed.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "run_process.hpp"

namespace cntr::test {

inline constexpr const char* kTestImage = "cntr-test-slim:latest";

class DockerContainer {
  public:
    // `docker_args` go between "docker run -d" and the image; `command` after it.
    explicit DockerContainer(const std::vector<std::string>& docker_args = {},
                             const std::vector<std::string>& command = {"sleep", "1000000"});
    DockerContainer(const DockerContainer&) = delete;
    DockerContainer& operator=(const DockerContainer&) = delete;
    ~DockerContainer();

    [[nodiscard]] const std::string& name() const { return name_; }
    [[nodiscard]] const std::string& id() const { return id_; }
    [[nodiscard]] pid_t pid() const;
    ProcessResult exec(const std::vector<std::string>& command) const;

  private:
    std::string name_;
    std::string id_;
};

}  // namespace cntr::test
