#include "cntr_binary.hpp"

#include <dirent.h>

#include <fstream>
#include <sstream>

namespace cntr::test {

ProcessResult attach(const std::string& container, const std::vector<std::string>& argv,
                     const std::string& input) {
    std::vector<std::string> full = {kCntr, "attach", container, "--"};
    full.insert(full.end(), argv.begin(), argv.end());
    return run(full, input);
}

ProcessResult attach_sh(const std::string& container, const std::string& script) {
    return attach(container, {"sh", "-c", script});
}

std::string host_mountinfo() {
    std::ifstream in("/proc/self/mountinfo");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

int cntrfs_server_count() {
    int count = 0;
    DIR* d = ::opendir("/proc");
    if (d == nullptr) return -1;
    while (dirent* e = ::readdir(d)) {
        std::ifstream comm(std::string("/proc/") + e->d_name + "/comm");
        std::string name;
        if (comm && std::getline(comm, name) && name == "cntrfs-server") ++count;
    }
    ::closedir(d);
    return count;
}

}  // namespace cntr::test
