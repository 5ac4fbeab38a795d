// Team debug profiles: which slim containers a profile is for, where its tools
// come from, and how the session's environment, PATH, shell and user are set.
// The YAML format is documented in profiles/schema.yaml.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "environment.hpp"

namespace cntr {

struct Profile {
    std::string name;
    std::vector<std::string> match;    // container names or shell globs
    std::optional<std::string> tools;  // host | container:NAME | image reference
    std::optional<std::string> pull;   // missing | always | never
    std::optional<EnvPolicy> env;
    std::optional<PathPolicy> path;
    std::optional<std::string> shell;
    std::optional<std::string> user;
    std::optional<bool> writable_tools;  // writable-tools: true
    std::optional<bool> quiet;           // quiet: true, no banner at an interactive start (-q)
    std::optional<std::string> workdir;  // where an interactive session starts
    std::optional<std::vector<std::string>> host_sockets;  // host-sockets: [x11, dbus]
    // Confinement layers this profile lifts (elevation.hpp); --elevate adds to them.
    std::vector<std::string> elevate;
    std::string origin;  // "FILE:LINE" where it was defined
};

// Where profiles are searched, in increasing precedence: a profile of the
// same name defined later replaces an earlier one.
struct ProfileSources {
    std::vector<std::string> directories;  // *.yaml in each, sorted by name
    std::vector<std::string> files;        // --profiles FILE
};
// /etc/cntr/profiles.d (or $CNTR_SYSTEM_PROFILES_DIR), then
// $XDG_CONFIG_HOME/cntr/profiles.d (default ~/.config/cntr/profiles.d).
ProfileSources default_profile_sources(std::vector<std::string> extra_files);

// Parses one file. Throws UserError "FILE:LINE:COLUMN: problem (hint)" on the
// first problem; nothing of a bad file is ever returned.
std::vector<Profile> load_profile_file(const std::string& path);

struct ProfileFileError {
    std::string message;  // "FILE:LINE:COLUMN: problem (hint)"
    bool named_by_user;   // came from --profiles, not from a search directory
};
struct LoadedProfiles {
    std::vector<Profile> profiles;
    std::vector<ProfileFileError> errors;  // one per bad file, which was skipped entirely
};
LoadedProfiles load_profiles(const ProfileSources& sources);

// The profile for `container`: `requested` by name if given, else the one whose
// `match` names it exactly, else the one matching it by glob. Two candidates
// of the same rank are an error naming both.
std::optional<Profile> select_profile(const std::vector<Profile>& profiles,
                                      const std::string& container,
                                      const std::optional<std::string>& requested);

// The profile as YAML, for `cntr profiles show`.
std::string profile_to_yaml(const Profile& p);

}  // namespace cntr
