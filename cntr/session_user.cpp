#include "session_user.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <charconv>
#include <sstream>

#include "environment.hpp"
#include "error.hpp"
#include "file_io.hpp"
#include "mount_api.hpp"

namespace cntr {
namespace {

std::optional<uint32_t> number(const std::string& s) {
    uint32_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

// Lines of a colon-separated database (passwd, group) as fields.
std::vector<std::vector<std::string>> records(const std::string& text) {
    std::vector<std::vector<std::string>> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        std::vector<std::string> fields;
        std::istringstream l(line);
        for (std::string f; std::getline(l, f, ':');) fields.push_back(f);
        if (line.back() == ':') fields.emplace_back();
        out.push_back(std::move(fields));
    }
    return out;
}

// The container's passwd and group are its own to forge: cntr (host root)
// reads them only as regular files (not /dev/zero, not a FIFO that never
// opens) and only up to a size no real user database reaches.
constexpr size_t kMaxUserDatabaseBytes = size_t{1} << 20;

std::string read_in_container(const ProcessContext& ctx, const char* path) {
    // O_NONBLOCK: opening a FIFO must not wait for a writer.
    Fd fd = open_in_root(ctx.root.get(), path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    if (!fd) return {};
    struct stat st {};
    check(::fstat(fd.get(), &st), std::string("fstat the container's /") + path);
    if (!S_ISREG(st.st_mode))
        throw UserError(std::string("the container's /") + path +
                        " is not a regular file; cntr resolves --user only through a regular file");
    BoundedRead r = read_bounded(fd.get(), kMaxUserDatabaseBytes);
    if (r.truncated)
        throw UserError(std::string("the container's /") + path + " is larger than " +
                        std::to_string(kMaxUserDatabaseBytes / 1024) +
                        " KiB, more than any real user database; cntr does not read it");
    return r.data;
}

}  // namespace

std::optional<uint32_t> map_to_outside(const std::vector<IdMapEntry>& map, uint32_t inside) {
    for (const auto& e : map)
        if (inside >= e.inside && inside - e.inside < e.count)
            return e.outside + (inside - e.inside);
    return std::nullopt;
}

ContainerUser resolve_container_user(const std::string& spec, const std::string& passwd,
                                     const std::string& group) {
    const auto colon = spec.find(':');
    const std::string user_part = spec.substr(0, colon);
    const std::optional<std::string> group_part =
        colon == std::string::npos ? std::nullopt : std::optional(spec.substr(colon + 1));
    if (user_part.empty())
        throw UserError("--user needs a user name or uid, e.g. --user app or --user 1000:1000");

    ContainerUser u;
    std::string user_name;
    bool found = false;
    for (const auto& r : records(passwd)) {
        if (r.size() < 4) continue;
        if (r[0] == user_part || (number(user_part) && number(r[2]) == number(user_part))) {
            user_name = r[0];
            u.uid = number(r[2]).value_or(0);
            u.gid = number(r[3]).value_or(0);
            u.name = r[0];
            // An empty home or shell means "/" and "/bin/sh" to login(1).
            u.home = r.size() > 5 && !r[5].empty() ? r[5] : "/";
            u.shell = r.size() > 6 && !r[6].empty() ? r[6] : "/bin/sh";
            found = true;
            break;
        }
    }
    if (!found) {
        auto uid = number(user_part);
        if (!uid)
            throw UserError("user '" + user_part +
                            "' is not in the container's /etc/passwd; give a numeric uid instead");
        u.uid = *uid;
        u.gid = *uid;
    }
    const auto groups = records(group);
    if (group_part) {
        if (auto gid = number(*group_part)) {
            u.gid = *gid;
        } else {
            bool known = false;
            for (const auto& r : groups)
                if (r.size() >= 3 && r[0] == *group_part) {
                    u.gid = number(r[2]).value_or(0);
                    known = true;
                }
            if (!known)
                throw UserError("group '" + *group_part + "' is not in the container's /etc/group");
        }
    }
    u.groups.push_back(u.gid);
    if (!user_name.empty()) {
        for (const auto& r : groups) {
            if (r.size() < 4) continue;
            std::istringstream members(r[3]);
            for (std::string m; std::getline(members, m, ',');)
                if (m == user_name)
                    if (auto g = number(r[2]); g && *g != u.gid) u.groups.push_back(*g);
        }
    }
    return u;
}

void override_session_user(ProcessContext& ctx, const std::string& spec) {
    ContainerUser u = resolve_container_user(spec, read_in_container(ctx, "etc/passwd"),
                                             read_in_container(ctx, "etc/group"));
    auto host_uid = map_to_outside(ctx.uid_map, u.uid);
    auto host_gid = map_to_outside(ctx.gid_map, u.gid);
    if (!host_uid || !host_gid)
        throw UserError("user " + spec + " (uid " + std::to_string(u.uid) + ", gid " +
                        std::to_string(u.gid) +
                        ") has no mapping in the container's user namespace");
    env_set(ctx.environ, "HOME", u.home.value_or("/"));
    for (const char* var : {"USER", "LOGNAME"}) {
        if (u.name)
            env_set(ctx.environ, var, *u.name);
        else
            env_unset(ctx.environ, var);
    }
    if (u.shell)
        env_set(ctx.environ, "SHELL", *u.shell);
    else
        env_unset(ctx.environ, "SHELL");
    auto& c = ctx.creds;
    c.uid = c.euid = c.suid = c.fsuid = *host_uid;
    c.gid = c.egid = c.sgid = c.fsgid = *host_gid;
    c.groups.clear();
    for (uint32_t g : u.groups)
        if (auto h = map_to_outside(ctx.gid_map, g)) c.groups.push_back(*h);
}

}  // namespace cntr
