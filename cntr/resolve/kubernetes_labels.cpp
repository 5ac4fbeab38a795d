#include "kubernetes_labels.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/core.h>

#include "file_io.hpp"
#include "fs_util.hpp"
#include "log.hpp"

namespace cntr::kubernetes {
namespace {

constexpr const char* kCacheDir = "/run/cntr";
constexpr const char* kCacheFile = "/run/cntr/kubernetes-labels.json";

// The cache is trusted only when only root could have written it.
nlohmann::json load_cache() {
    struct stat st {};
    if (::geteuid() != 0 || ::stat(kCacheFile, &st) != 0 || st.st_uid != 0 ||
        (st.st_mode & 022) != 0)
        return nlohmann::json::object();
    try {
        auto j = nlohmann::json::parse(read_file(kCacheFile), nullptr, false);
        return j.is_object() ? j : nlohmann::json::object();
    } catch (const std::exception&) {
        return nlohmann::json::object();
    }
}

void save_cache(const nlohmann::json& cache) {
    if (::geteuid() != 0) return;
    if (::mkdir(kCacheDir, 0700) != 0 && errno != EEXIST) return;
    try {
        fatimg::write_file_atomic(kCacheFile, cache.dump(), 0600);
    } catch (const std::exception& e) {
        log::debug("kubernetes: cannot write {}: {}", kCacheFile, e.what());
    }
}

}  // namespace

std::vector<TaskLabels> k8s_task_labels(const containerd::Daemon& d) {
    const auto dirs = containerd::task_dirs(d, "k8s.io");
    auto cache = load_cache();
    auto& mine = cache[d.socket];
    if (!mine.is_object()) mine = nlohmann::json::object();
    bool changed = false;
    std::vector<TaskLabels> out;
    nlohmann::json kept = nlohmann::json::object();
    for (const auto& [id, generation] : dirs) {
        const std::string key = fmt::format("{}@{}", id, generation);
        if (!mine.contains(key)) {
            auto info = nlohmann::json::parse(
                containerd::ctr_output(d, "k8s.io", {"containers", "info", id}), nullptr, false);
            if (!info.is_object()) continue;  // deleted meanwhile
            mine[key] = {{"Labels", info.value("Labels", nlohmann::json::object())},
                         {"Image", info.value("Image", std::string())}};
            changed = true;
        }
        kept[key] = mine[key];
        out.push_back({id, mine[key]});
    }
    if (changed || kept.size() != mine.size()) {
        mine = std::move(kept);
        save_cache(cache);
    }
    return out;
}

}  // namespace cntr::kubernetes
