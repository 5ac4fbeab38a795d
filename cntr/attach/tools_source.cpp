#include "tools_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "environment.hpp"
#include "error.hpp"
#include "file_io.hpp"
#include "log.hpp"
#include "mount_api.hpp"
#include "process_context.hpp"
#include "resolve/resolver.hpp"
#include "target_confirm.hpp"

namespace cntr {
namespace {

constexpr const char* kMountPointInTools = "var/lib/cntr";

std::string own_path() {
    const char* p = std::getenv("PATH");
    return p != nullptr && *p != '\0' ? p : kDefaultPath;
}

ToolsRoot host_tools() {
    ToolsRoot t;
    t.description = "host";
    t.is_host = true;
    t.root = "/";
    t.path = own_path();
    Fd root = open_fd("/", O_PATH | O_DIRECTORY);
    ensure_directory_in_root(root.get(), kMountPointInTools);
    return t;
}

ToolsRoot container_tools(const std::string& name, const std::vector<std::string>& types) {
    // Two containers are named on one command line: say which one was not found.
    auto resolved = [&] {
        try {
            return resolve_container(name, types);
        } catch (const UserError& e) {
            throw UserError("tools container (--tools container:" + name + "): " + e.what());
        }
    }();
    ProcessContext fat = capture_process_context(resolved.pid);
    confirm_resolution(fat, name, resolved);
    ToolsRoot t;
    t.description =
        "container " + name + " (" + resolved.engine + ", PID " + std::to_string(fat.pid) + ")";
    t.root = "/";
    t.path = env_lookup(fat.environ, "PATH").value_or(kDefaultPath);
    ensure_directory_in_root(fat.root.get(), kMountPointInTools);
    // User namespace first: joining the mount namespace needs privileges over
    // the user namespace that owns it.
    for (Namespace kind : {Namespace::user, Namespace::mnt}) {
        const NamespaceFd* ns = fat.find_namespace(kind);
        if (ns != nullptr && ns->differs)
            t.setns_fds.push_back(
                open_at(fat.proc_dir.get(), std::string("ns/") + namespace_name(kind), O_RDONLY));
    }
    return t;
}

}  // namespace

void ensure_directory_in_root(int root_fd, const std::string& relative) {
    std::istringstream in(relative);
    std::string so_far;
    for (std::string part; std::getline(in, part, '/');) {
        if (part.empty() || part == "." || part == "..") continue;
        Fd parent = so_far.empty() ? Fd(::fcntl(root_fd, F_DUPFD_CLOEXEC, 0))
                                   : open_in_root(root_fd, so_far, O_PATH | O_DIRECTORY);
        if (!parent)
            throw UserError("cannot create /" + relative + " in the tools: /" + so_far +
                            " is not a directory");
        if (::mkdirat(parent.get(), part.c_str(), 0755) != 0 && errno != EEXIST)
            throw_errno("mkdir /" + (so_far.empty() ? part : so_far + "/" + part) +
                        " in the tools");
        so_far += (so_far.empty() ? "" : "/") + part;
    }
}

ToolsRoot prepare_tools(const ToolsRequest& request) {
    const std::string& spec = request.spec;
    if (spec.empty() || spec == "host") return host_tools();
    if (spec.starts_with("container:")) {
        std::string name = spec.substr(10);
        if (name.empty())
            throw UserError(
                "--tools container: needs a container name, e.g. container:debug-tools");
        return container_tools(name, request.container_types);
    }
    return image_tools(spec, request.pull);
}

}  // namespace cntr
