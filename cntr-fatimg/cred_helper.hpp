// Docker credential helpers: `docker-credential-NAME get`, the registry's server
// address on stdin, {"ServerURL","Username","Secret"} as JSON on stdout
// (github.com/docker/docker-credential-helpers). The programs docker's
// "credHelpers" and "credsStore" name, so that a `docker login` stored in a keychain,
// pass or a cloud's helper works for cntr-fatimg too.
#pragma once

#include <optional>
#include <string>

namespace cntr::fatimg {

struct HelperCredentials {
    std::string user, secret;
};

// Runs docker-credential-`helper` get for `server`. nullopt when the helper has no
// credentials for it ("credentials not found" on stdout and a failing exit). Throws
// UserError naming the helper when it cannot be run, fails otherwise, takes more
// than 30 s, or answers with something else than the protocol's JSON.
std::optional<HelperCredentials> credential_helper_get(const std::string& helper,
                                                       const std::string& server);

}  // namespace cntr::fatimg
