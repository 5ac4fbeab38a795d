// Tools from an image in the cntr-fatimg store.
#include <sys/stat.h>

#include <utility>

#include "environment.hpp"
#include "error.hpp"
#include "image_store.hpp"
#include "tools_source.hpp"

namespace cntr {

ToolsRoot image_tools(const std::string& reference, const std::string& pull) {
    fatimg::PullPolicy policy;
    if (pull == "missing")
        policy = fatimg::PullPolicy::missing;
    else if (pull == "always")
        policy = fatimg::PullPolicy::always;
    else if (pull == "never")
        policy = fatimg::PullPolicy::never;
    else
        throw UserError("--pull must be missing, always or never (not '" + pull + "')");

    ToolsRoot t;
    t.description = "image " + reference;
    fatimg::ToolImage image = fatimg::ensure_image(reference, policy, fatimg::StoreConfig{});
    t.root = std::move(image.rootfs);
    // The tools' PATH is the one the image was built for.
    t.path = env_lookup(image.env, "PATH").value_or(kDefaultPath);
    // An unpacked image never changes once it is in the store.
    t.read_only = true;
    struct stat st {};
    if (::stat((t.root + "/var/lib/cntr").c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        throw UserError("the tools image " + reference + " has no /var/lib/cntr directory (" +
                        t.root + "); remove it with 'cntr-fatimg rm' and import it again");
    return t;
}

}  // namespace cntr
