// Where registry credentials and TLS trust come from, in the order podman/skopeo
// and docker use them.
#pragma once

#include <optional>
#include <string>

namespace cntr::fatimg {

struct Credentials {
    std::string user, password;
    std::string origin;  // "--creds", or the auth file it came from (for messages)
};

// `creds` ("USER:PASS", from --creds) wins; else the first auth file that has
// credentials for `registry` (host[:port]): $REGISTRY_AUTH_FILE,
// ${XDG_RUNTIME_DIR}/containers/auth.json, $DOCKER_CONFIG/config.json or
// ~/.docker/config.json. In each, as docker resolves them: "credHelpers": {"host":
// "NAME"} (runs docker-credential-NAME), then "credsStore": "NAME", then "auths":
// {"host": {"auth": base64("user:pass")}}.
std::optional<Credentials> find_credentials(const std::string& registry,
                                            const std::optional<std::string>& creds);

// PEM bundle for verifying `registry`: the system store plus
// /etc/docker/certs.d/REGISTRY/ca.crt and /etc/containers/certs.d/REGISTRY/ca.crt
// (every *.crt there). Empty when no extra CA exists (curl's default store is used).
// $CNTR_CERTS_DIRS (colon-separated) replaces the two certs.d roots (tests).
std::string ca_bundle_for(const std::string& registry);

}  // namespace cntr::fatimg
