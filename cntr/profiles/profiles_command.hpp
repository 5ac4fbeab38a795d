// `cntr profiles list | show NAME | validate [FILE...]`.
#pragma once

#include <string>
#include <vector>

namespace cntr {

struct ProfilesOptions {
    std::string action;              // list, show, validate
    std::vector<std::string> args;   // NAME for show, FILEs for validate
    std::vector<std::string> files;  // --profiles FILE
};

int run_profiles(const ProfilesOptions& opts);

}  // namespace cntr
