// docker: asks the Engine API on its Unix socket (GET /containers/NAME/json),
// which accepts names, full ids and unique id prefixes. One HTTP round trip
// over a local socket costs a few milliseconds, where `docker inspect` would
// start a Go binary (tens of milliseconds) on every attach.
#include <curl/curl.h>
#include <sys/stat.h>

#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "error.hpp"
#include "log.hpp"
#include "resolver.hpp"

namespace cntr {
namespace {

std::optional<std::string> docker_socket_path() {
    const char* host = std::getenv("DOCKER_HOST");
    std::string path = "/var/run/docker.sock";
    if (host != nullptr && *host != '\0') {
        std::string_view h(host);
        if (!h.starts_with("unix://")) {
            log::debug(
                "DOCKER_HOST={} is not a unix socket; the docker resolver only talks to local "
                "engines",
                h);
            return std::nullopt;
        }
        path = std::string(h.substr(7));
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) return std::nullopt;
    return path;
}

size_t append_body(char* data, size_t size, size_t nmemb, void* userdata) {
    static_cast<std::string*>(userdata)->append(data, size * nmemb);
    return size * nmemb;
}

class DockerResolver final : public ContainerResolver {
  public:
    [[nodiscard]] std::string_view name() const override { return "docker"; }

    std::optional<pid_t> resolve(const std::string& container) override {
        auto socket = docker_socket_path();
        if (!socket) return std::nullopt;

        std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(),
                                                                 curl_easy_cleanup);
        if (!curl) throw UserError("docker: cannot initialise libcurl");
        std::unique_ptr<char, decltype(&curl_free)> escaped(
            curl_easy_escape(curl.get(), container.c_str(), static_cast<int>(container.size())),
            curl_free);
        const std::string url =
            std::string("http://localhost/containers/") + escaped.get() + "/json";
        std::string body;
        curl_easy_setopt(curl.get(), CURLOPT_UNIX_SOCKET_PATH, socket->c_str());
        curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
        curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, append_body);
        curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
        curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 10L);
        curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
        CURLcode rc = curl_easy_perform(curl.get());
        if (rc == CURLE_COULDNT_CONNECT) {
            log::debug("docker: nothing listens on {}", *socket);
            return std::nullopt;
        }
        if (rc != CURLE_OK)
            throw UserError("docker: request to " + *socket + " failed: " + curl_easy_strerror(rc));
        long status = 0;
        curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
        if (status == 404) return std::nullopt;
        auto json = nlohmann::json::parse(body, nullptr, false);
        if (status != 200 || json.is_discarded()) {
            std::string msg = json.is_object() && json.contains("message")
                                  ? json["message"].get<std::string>()
                                  : body.substr(0, 200);
            throw UserError("docker: inspecting '" + container + "' failed (HTTP " +
                            std::to_string(status) + "): " + msg);
        }
        const auto& state = json.at("State");
        const std::string name = json.value("Name", container);
        if (state.value("Paused", false))
            throw UserError("docker container " + name + " is paused; run 'docker unpause " +
                            container + "' first");
        if (!state.value("Running", false))
            throw UserError("docker container " + name + " is not running (status: " +
                            state.value("Status", std::string("unknown")) +
                            "); start it with 'docker start " + container + "'");
        pid_t pid = state.value("Pid", 0);
        if (pid <= 0) throw UserError("docker reports no process for container " + name);
        return pid;
    }
};

}  // namespace

std::unique_ptr<ContainerResolver> make_docker_resolver() {
    return std::make_unique<DockerResolver>();
}

}  // namespace cntr
