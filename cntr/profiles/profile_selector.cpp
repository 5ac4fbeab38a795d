// Which profile applies to a container: an explicit --profile wins; otherwise
// a profile naming the container exactly beats one matching it by a glob, so
// a team can have a catch-all "*" profile and specific ones beside it.
#include <fnmatch.h>

#include <yaml-cpp/yaml.h>

#include "error.hpp"
#include "profile.hpp"

namespace cntr {
namespace {

bool is_glob(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

std::string candidates(const std::vector<const Profile*>& v) {
    std::string out;
    for (const auto* p : v) out += "\n  " + p->name + " (" + p->origin + ")";
    return out;
}

}  // namespace

std::optional<Profile> select_profile(const std::vector<Profile>& profiles,
                                      const std::string& container,
                                      const std::optional<std::string>& requested) {
    if (requested) {
        for (const auto& p : profiles)
            if (p.name == *requested) return p;
        std::string known;
        for (const auto& p : profiles) known += (known.empty() ? "" : ", ") + p.name;
        throw UserError(
            "no profile named '" + *requested + "'" +
            (known.empty() ? "; no profiles are defined" : "; known profiles: " + known) +
            ". List them with 'cntr profiles list'.");
    }
    std::vector<const Profile*> exact, glob;
    for (const auto& p : profiles) {
        bool by_name = false, by_glob = false;
        for (const auto& m : p.match) {
            if (!is_glob(m) && m == container) by_name = true;
            if (is_glob(m) && ::fnmatch(m.c_str(), container.c_str(), 0) == 0) by_glob = true;
        }
        if (by_name)
            exact.push_back(&p);
        else if (by_glob)
            glob.push_back(&p);
    }
    for (const auto* rank : {&exact, &glob}) {
        if (rank->size() > 1)
            throw UserError("container '" + container + "' is matched " +
                            (rank == &exact ? "by name" : "by glob") +
                            " by more than one profile:" + candidates(*rank) +
                            "\nchoose one with --profile NAME");
        if (rank->size() == 1) return *rank->front();
    }
    return std::nullopt;
}

std::string profile_to_yaml(const Profile& p) {
    YAML::Emitter out;
    out << YAML::Comment("from " + p.origin) << YAML::Newline << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << p.name;
    if (!p.match.empty()) out << YAML::Key << "match" << YAML::Value << YAML::Flow << p.match;
    if (p.tools) out << YAML::Key << "tools" << YAML::Value << *p.tools;
    if (p.pull) out << YAML::Key << "pull" << YAML::Value << *p.pull;
    if (p.env) {
        out << YAML::Key << "env" << YAML::Value << YAML::BeginMap << YAML::Key << "inherit"
            << YAML::Value;
        switch (p.env->inherit) {
            case EnvPolicy::Inherit::all:
                out << "all";
                break;
            case EnvPolicy::Inherit::none:
                out << "none";
                break;
            case EnvPolicy::Inherit::list:
                out << YAML::Flow << p.env->inherit_names;
                break;
        }
        if (!p.env->set.empty()) out << YAML::Key << "set" << YAML::Value << p.env->set;
        if (!p.env->unset.empty())
            out << YAML::Key << "unset" << YAML::Value << YAML::Flow << p.env->unset;
        out << YAML::EndMap;
    }
    if (p.path) out << YAML::Key << "path" << YAML::Value << path_policy_name(*p.path);
    if (p.shell) out << YAML::Key << "shell" << YAML::Value << *p.shell;
    if (p.user) out << YAML::Key << "user" << YAML::Value << *p.user;
    if (p.writable_tools) out << YAML::Key << "writable-tools" << YAML::Value << *p.writable_tools;
    if (p.quiet) out << YAML::Key << "quiet" << YAML::Value << *p.quiet;
    if (p.workdir) out << YAML::Key << "workdir" << YAML::Value << *p.workdir;
    if (p.host_sockets)
        out << YAML::Key << "host-sockets" << YAML::Value << YAML::Flow << *p.host_sockets;
    if (!p.elevate.empty()) out << YAML::Key << "elevate" << YAML::Value << YAML::Flow << p.elevate;
    out << YAML::EndMap;
    return std::string(out.c_str()) + "\n";
}

}  // namespace cntr
