#include "fatimg_test_util.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <strings.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

extern char** environ;

namespace cntr::fatimg::test {

namespace fs = std::filesystem;

Scratch::Scratch() {
    std::string tmpl = "/tmp/cntr-fatimg-test-XXXXXX";
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
}

Scratch::~Scratch() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

// $CNTR_FATIMG_TEST_BINARY runs the suite against another build (e.g. an older
// commit, to see a test fail without its fix).
std::string fatimg_binary() {
    const char* other = std::getenv("CNTR_FATIMG_TEST_BINARY");
    return other && *other ? other : CNTR_FATIMG_BINARY;
}

cntr::test::ProcessResult fatimg(const std::string& store, const std::vector<std::string>& args,
                                 std::chrono::seconds deadline) {
    std::vector<std::string> argv = {fatimg_binary(), "--root", store};
    argv.insert(argv.end(), args.begin(), args.end());
    return cntr::test::run(argv, {}, deadline);
}

std::set<std::string> snapshot(const std::string& dir) {
    std::set<std::string> out;
    std::error_code ec;
    if (!fs::exists(dir)) return out;
    for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::none, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
        std::string rel = fs::relative(it->path(), dir).string();
        if (rel == "lock") continue;
        out.insert(rel);
    }
    return out;
}

std::string read_text(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

struct stat lstat_of(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) st.st_ino = 0;
    return st;
}

Measured run_measured(const std::vector<std::string>& argv, std::chrono::seconds deadline) {
    Scratch io;
    const std::string out_path = io.dir() + "/out", err_path = io.dir() + "/err";
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT, 0600);
    std::vector<std::string> args = argv;
    std::vector<char*> cargv;
    cargv.reserve(args.size() + 1);
    for (auto& a : args) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    Measured m;
    pid_t pid = 0;
    const auto start = std::chrono::steady_clock::now();
    int rc = ::posix_spawnp(&pid, cargv[0], &fa, nullptr, cargv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        m.err = "posix_spawn " + argv[0] + " failed";
        return m;
    }
    int status = 0;
    rusage ru{};
    for (;;) {
        pid_t w = ::wait4(pid, &status, WNOHANG, &ru);
        if (w == pid) break;
        if (std::chrono::steady_clock::now() - start > deadline) {
            ::kill(pid, SIGKILL);
            ::wait4(pid, &status, 0, &ru);
            m.timed_out = true;
            break;
        }
        ::usleep(20000);
    }
    m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    m.max_rss_kib = ru.ru_maxrss;
    if (!m.timed_out)
        m.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    m.out = read_text(out_path);
    m.err = read_text(err_path);
    return m;
}

std::map<std::string, std::string> registry_env() {
    std::map<std::string, std::string> env;
    const char* dir = std::getenv("CNTR_REGISTRY_FIXTURE_DIR");
    std::ifstream f(std::string(dir ? dir : "/run/cntr-test/registry") + "/env");
    std::string line;
    while (std::getline(f, line)) {
        auto eq = line.find('=');
        if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
    }
    // The fixture's CA is trusted through its own certs.d, never through /etc:
    // every cntr-fatimg this test starts inherits the variable (a test may
    // still override it on its command line).
    if (!env["CERTS_DIRS"].empty()) ::setenv("CNTR_CERTS_DIRS", env["CERTS_DIRS"].c_str(), 1);
    return env;
}

cntr::test::ProcessResult skopeo_push(const std::string& layout_dir, const std::string& tag,
                                      const std::string& dest,
                                      const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {"skopeo", "copy", "--quiet"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("oci:" + layout_dir + ":" + tag);
    argv.push_back("docker://" + dest);
    return cntr::test::run(argv, {}, std::chrono::seconds(120));
}

std::string push_raw(const std::string& layout_dir, const std::string& registry,
                     const std::string& repo, const std::string& tag) {
    auto index = nlohmann::json::parse(read_text(layout_dir + "/index.json"));
    std::string mdigest = index["manifests"][0]["digest"];
    std::string mpath = layout_dir + "/blobs/sha256/" + mdigest.substr(7);
    auto manifest = nlohmann::json::parse(read_text(mpath));
    std::vector<std::string> blobs = {manifest["config"]["digest"]};
    for (const auto& l : manifest["layers"]) blobs.push_back(l["digest"]);
    const std::string base = "http://" + registry + "/v2/" + repo;
    for (const auto& d : blobs) {
        auto post = cntr::test::run(
            {"curl", "-fsS", "-X", "POST", "-D", "-", "-o", "/dev/null", base + "/blobs/uploads/"});
        if (post.exit_code != 0) return "POST upload: " + post.err;
        std::string location;
        std::istringstream hs(post.out);
        for (std::string line; std::getline(hs, line);) {
            if (line.size() > 9 && strncasecmp(line.c_str(), "location:", 9) == 0) {
                location = cntr::test::trim(line.substr(9));
            }
        }
        if (location.empty()) return "no Location in " + post.out;
        if (location.starts_with("/")) location = "http://" + registry + location;
        location +=
            (location.find('?') == std::string::npos ? "?" : "&") + std::string("digest=") + d;
        auto put = cntr::test::run({"curl", "-fsS", "-X", "PUT", "-H",
                                    "Content-Type: application/octet-stream", "--data-binary",
                                    "@" + layout_dir + "/blobs/sha256/" + d.substr(7), location});
        if (put.exit_code != 0) return "PUT blob " + d + ": " + put.err;
    }
    auto put = cntr::test::run(
        {"curl", "-fsS", "-X", "PUT", "-H",
         "Content-Type: " +
             manifest.value("mediaType", std::string("application/vnd.oci.image.manifest.v1+json")),
         "--data-binary", "@" + mpath, base + "/manifests/" + tag});
    if (put.exit_code != 0) return "PUT manifest: " + put.err;
    return "";
}

}  // namespace cntr::fatimg::test
