#include "docker_container.hpp"

#include <unistd.h>

#include <atomic>
#include <stdexcept>

namespace cntr::test {

DockerContainer::DockerContainer(const std::vector<std::string>& docker_args,
                                 const std::vector<std::string>& command) {
    static std::atomic<int> counter{0};
    name_ = "cntr-it-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    std::vector<std::string> argv = {"docker",      "run",    "-d", "--label",
                                     "cntr-test=1", "--name", name_};
    argv.insert(argv.end(), docker_args.begin(), docker_args.end());
    argv.emplace_back(kTestImage);
    argv.insert(argv.end(), command.begin(), command.end());
    auto r = run(argv);
    if (r.exit_code != 0) throw std::runtime_error("docker run failed: " + r.err);
    id_ = trim(r.out);
}

DockerContainer::~DockerContainer() { run({"docker", "rm", "-f", name_}); }

pid_t DockerContainer::pid() const {
    auto r = run({"docker", "inspect", "-f", "{{.State.Pid}}", name_});
    return static_cast<pid_t>(std::stol(trim(r.out)));
}

ProcessResult DockerContainer::exec(const std::vector<std::string>& command) const {
    std::vector<std::string> argv = {"docker", "exec", name_};
    argv.insert(argv.end(), command.begin(), command.end());
    return run(argv);
}

}  // namespace cntr::test
