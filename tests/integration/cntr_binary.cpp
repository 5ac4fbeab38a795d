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

std::set<std::string> cntrfs_servers() {
    std::set<std::string> servers;
    DIR* d = ::opendir("/proc");
    if (d == nullptr) return servers;
    while (dirent* e = ::readdir(d)) {
        std::ifstream stat(std::string("/proc/") + e->d_name + "/stat");
        std::string line;
        if (!stat || !std::getline(stat, line)) continue;
        // PID (COMM) STATE ... with the start time the 20th field after the comm.
        const auto open = line.find(" (");
        const auto close = line.rfind(") ");
        if (open == std::string::npos || close == std::string::npos) continue;
        if (line.substr(open + 2, close - open - 2) != "cntrfs-server") continue;
        std::istringstream rest(line.substr(close + 2));
        std::string state;
        std::string field;
        rest >> state;
        for (int i = 0; i < 19 && rest >> field; ++i) {
        }
        if (state != "Z") servers.insert(line.substr(0, open) + " " + field);
    }
    ::closedir(d);
    return servers;
}

std::set<std::string> new_cntrfs_servers(const std::set<std::string>& before) {
    std::set<std::string> added;
    for (const auto& s : cntrfs_servers())
        if (!before.contains(s)) added.insert(s);
    return added;
}

}  // namespace cntr::test
