#include "profiles_command.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <iostream>

#include "error.hpp"
#include "log.hpp"
#include "profile.hpp"

namespace cntr {
namespace {

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
    return out;
}

int list(const LoadedProfiles& loaded) {
    for (const auto& e : loaded.errors) log::warn("skipped: {}", e.message);
    if (loaded.profiles.empty()) {
        std::cout << "no profiles (searched /etc/cntr/profiles.d, $XDG_CONFIG_HOME/cntr/profiles.d "
                     "and --profiles files)\n";
        return 0;
    }
    std::cout << fmt::format("{:<20} {:<24} {:<28} {}\n", "NAME", "MATCH", "TOOLS", "DEFINED AT");
    for (const auto& p : loaded.profiles)
        std::cout << fmt::format("{:<20} {:<24} {:<28} {}\n", p.name, join(p.match),
                                 p.tools.value_or("host"), p.origin);
    return 0;
}

}  // namespace

int run_profiles(const ProfilesOptions& opts) {
    if (opts.action == "validate" && !opts.args.empty()) {
        int bad = 0;
        for (const auto& file : opts.args) {
            try {
                auto profiles = load_profile_file(file);
                std::cout << file << ": ok (" << profiles.size() << " profile"
                          << (profiles.size() == 1 ? "" : "s") << ")\n";
            } catch (const UserError& e) {
                std::cerr << e.what() << "\n";
                ++bad;
            }
        }
        return bad == 0 ? 0 : 1;
    }
    const LoadedProfiles loaded = load_profiles(default_profile_sources(opts.files));
    if (opts.action == "list") return list(loaded);
    if (opts.action == "show") {
        if (opts.args.size() != 1)
            throw UserError("cntr profiles show needs exactly one profile NAME");
        auto p = select_profile(loaded.profiles, "", opts.args[0]);
        std::cout << profile_to_yaml(*p);
        return 0;
    }
    // validate without files: everything that would be loaded.
    for (const auto& e : loaded.errors) std::cerr << e.message << "\n";
    std::cout << loaded.profiles.size() << " profile(s) valid, " << loaded.errors.size()
              << " file(s) with errors\n";
    return loaded.errors.empty() ? 0 : 1;
}

}  // namespace cntr
