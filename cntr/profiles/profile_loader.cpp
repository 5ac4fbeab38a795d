// Reading profiles with yaml-cpp. A file holds one profile (a mapping with a
// `name`) or several (`profiles:` followed by a list of them). Every problem is
// reported as FILE:LINE:COLUMN with a hint, and a file with any problem is not
// used at all: half of a team's policy is worse than none.
#include <dirent.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "elevation.hpp"
#include "error.hpp"
#include "profile.hpp"

namespace cntr {
namespace {

const std::set<std::string> kProfileKeys = {
    "name", "match",          "tools",        "pull",    "env",   "path",   "shell",
    "user", "writable-tools", "host-sockets", "elevate", "quiet", "workdir"};
const std::set<std::string> kEnvKeys = {"inherit", "set", "unset"};

class FileParser {
  public:
    explicit FileParser(std::string path) : path_(std::move(path)) {}

    std::vector<Profile> parse() {
        YAML::Node root;
        try {
            root = YAML::LoadFile(path_);
        } catch (const YAML::BadFile&) {
            throw UserError(path_ + ": cannot read the file");
        } catch (const YAML::ParserException& e) {
            throw UserError(where(e.mark) + ": " + e.msg +
                            " (is it valid YAML? check indentation and quotes)");
        }
        std::vector<Profile> out;
        if (!root || root.IsNull()) return out;  // an empty file holds no profile
        if (!root.IsMap())
            fail(root, "a profile file must be a mapping", "start with 'name: ...' or 'profiles:'");
        if (root["profiles"]) {
            if (root.size() != 1)
                fail(root, "'profiles:' must be the only top-level key",
                     "indent the profiles under it");
            const YAML::Node list = root["profiles"];
            if (!list.IsSequence())
                fail(list, "'profiles' must be a list", "write each profile as '- name: ...'");
            for (const auto& node : list) out.push_back(profile(node));
        } else {
            out.push_back(profile(root));
        }
        std::set<std::string> names;
        for (const auto& p : out)
            if (!names.insert(p.name).second)
                throw UserError(path_ + ": profile '" + p.name + "' is defined twice in this file");
        return out;
    }

  private:
    std::string where(const YAML::Mark& m) const {
        if (m.is_null()) return path_;
        return path_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
    }
    [[noreturn]] void fail(const YAML::Node& at, const std::string& what,
                           const std::string& hint) const {
        throw UserError(where(at.Mark()) + ": " + what + " (" + hint + ")");
    }

    std::string scalar(const YAML::Node& n, const std::string& key) const {
        if (!n.IsScalar())
            fail(n, "'" + key + "' must be a single value",
                 "write it on one line after '" + key + ":'");
        return n.Scalar();
    }

    bool boolean(const YAML::Node& n, const std::string& key, const std::string& hint) const {
        const std::string b = scalar(n, key);
        if (b != "true" && b != "false") fail(n, "'" + key + "' must be true or false", hint);
        return b == "true";
    }

    std::vector<std::string> names(const YAML::Node& n, const std::string& key) const {
        std::vector<std::string> out;
        if (n.IsScalar()) return {n.Scalar()};
        if (!n.IsSequence())
            fail(n, "'" + key + "' must be a list of names", "e.g. " + key + ": [a, b]");
        for (const auto& item : n) out.push_back(scalar(item, key));
        return out;
    }

    EnvPolicy env(const YAML::Node& n) const {
        if (!n.IsMap()) fail(n, "'env' must be a mapping", "use inherit:, set: and unset:");
        EnvPolicy policy;
        for (const auto& kv : n) {
            const std::string key = kv.first.Scalar();
            if (!kEnvKeys.contains(key))
                fail(kv.first, "unknown key 'env." + key + "'", "known: inherit, set, unset");
            const YAML::Node& v = kv.second;
            if (key == "inherit") {
                if (v.IsScalar() && v.Scalar() == "all")
                    policy.inherit = EnvPolicy::Inherit::all;
                else if (v.IsScalar() && v.Scalar() == "none")
                    policy.inherit = EnvPolicy::Inherit::none;
                else if (v.IsSequence()) {
                    policy.inherit = EnvPolicy::Inherit::list;
                    policy.inherit_names = names(v, "inherit");
                } else {
                    fail(v, "'inherit' must be all, none or a list of variable names",
                         "e.g. inherit: [LANG, HOME]");
                }
            } else if (key == "set") {
                if (!v.IsMap())
                    fail(v, "'set' must map names to values", "e.g. set: {EDITOR: vim}");
                for (const auto& s : v)
                    policy.set[s.first.Scalar()] = scalar(s.second, s.first.Scalar());
            } else {
                policy.unset = names(v, "unset");
            }
        }
        for (const auto& [name, value] : policy.set)
            if (name.empty() || name.find('=') != std::string::npos)
                fail(n, "invalid variable name '" + name + "'",
                     "names cannot be empty or contain '='");
        return policy;
    }

    Profile profile(const YAML::Node& n) const {
        if (!n.IsMap()) fail(n, "a profile must be a mapping", "start it with 'name: ...'");
        Profile p;
        p.origin = where(n.Mark());
        for (const auto& kv : n) {
            const std::string key = kv.first.Scalar();
            const YAML::Node& v = kv.second;
            if (!kProfileKeys.contains(key))
                fail(kv.first, "unknown key '" + key + "'",
                     "known: name, match, tools, pull, env, path, shell, user, writable-tools, "
                     "host-sockets, elevate, quiet, workdir");
            if (key == "name")
                p.name = scalar(v, key);
            else if (key == "match")
                p.match = names(v, key);
            else if (key == "tools")
                p.tools = scalar(v, key);
            else if (key == "pull") {
                p.pull = scalar(v, key);
                if (*p.pull != "missing" && *p.pull != "always" && *p.pull != "never")
                    fail(v, "'pull' must be missing, always or never",
                         "missing pulls only what the store lacks");
            } else if (key == "env")
                p.env = env(v);
            else if (key == "path") {
                p.path = parse_path_policy(scalar(v, key));
                if (!p.path)
                    fail(v, "'path' must be tools-first, container-first or tools-only",
                         "tools-only is the default");
            } else if (key == "shell")
                p.shell = scalar(v, key);
            else if (key == "writable-tools")
                p.writable_tools =
                    boolean(v, key, "false (the default) serves the tools read-only");
            else if (key == "quiet")
                p.quiet =
                    boolean(v, key, "true leaves out the line an interactive session starts with");
            else if (key == "workdir") {
                p.workdir = scalar(v, key);
                if (!p.workdir->starts_with("/"))
                    fail(v, "'workdir' must be an absolute path in the session",
                         "the container's root is /var/lib/cntr, the default");
            } else if (key == "host-sockets") {
                p.host_sockets = names(v, key);
                for (const auto& n : *p.host_sockets)
                    if (n != "x11" && n != "dbus")
                        fail(v, "unknown host socket '" + n + "'", "known: x11, dbus");
            } else if (key == "elevate") {
                p.elevate = names(v, key);
                Elevation check;
                for (const auto& layer : p.elevate) {
                    try {
                        parse_elevation(layer, check);
                    } catch (const UserError& e) {
                        fail(v, e.what(), "lifting a layer is an explicit, named choice");
                    }
                }
            } else
                p.user = scalar(v, key);
        }
        if (p.name.empty()) fail(n, "the profile has no name", "add 'name: SOMETHING'");
        return p;
    }

    std::string path_;
};

std::vector<std::string> yaml_files_in(const std::string& dir) {
    std::vector<std::string> out;
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
    if (!d) return out;
    while (dirent* e = ::readdir(d.get())) {
        std::string name = e->d_name;
        if (name.starts_with(".")) continue;
        if (name.ends_with(".yaml") || name.ends_with(".yml")) out.push_back(dir + "/" + name);
    }
    std::ranges::sort(out);
    return out;
}

}  // namespace

ProfileSources default_profile_sources(std::vector<std::string> extra_files) {
    ProfileSources s;
    const char* system = std::getenv("CNTR_SYSTEM_PROFILES_DIR");
    s.directories.emplace_back(system != nullptr ? system : "/etc/cntr/profiles.d");
    if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0')
        s.directories.push_back(std::string(xdg) + "/cntr/profiles.d");
    else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0')
        s.directories.push_back(std::string(home) + "/.config/cntr/profiles.d");
    s.files = std::move(extra_files);
    return s;
}

std::vector<Profile> load_profile_file(const std::string& path) { return FileParser(path).parse(); }

LoadedProfiles load_profiles(const ProfileSources& sources) {
    LoadedProfiles out;
    auto add_file = [&](const std::string& file, bool named_by_user) {
        try {
            for (auto& p : load_profile_file(file)) {
                std::erase_if(out.profiles, [&](const Profile& q) { return q.name == p.name; });
                out.profiles.push_back(std::move(p));
            }
        } catch (const UserError& e) {
            out.errors.push_back({e.what(), named_by_user});
        }
    };
    for (const auto& dir : sources.directories)
        for (const auto& file : yaml_files_in(dir)) add_file(file, false);
    for (const auto& file : sources.files) add_file(file, true);
    return out;
}

}  // namespace cntr
