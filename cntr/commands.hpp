// The cntr subcommands, each returning cntr's exit status.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace cntr {

struct AttachOptions {
    std::string container;
    std::vector<std::string> types;    // engines to try, in order
    std::vector<std::string> command;  // empty: the profile's shell, else the user's
    // Each of these overrides the selected profile's field when set.
    std::optional<std::string> tools;  // host | container:NAME | image reference
    std::optional<std::string> pull;   // missing | always | never
    std::optional<std::string> profile;
    std::vector<std::string> profile_files;
    std::optional<std::string> user;
    std::optional<std::string> shell;
    std::optional<std::string> path;            // tools-only | tools-first | container-first
    std::optional<std::string> effective_user;  // host user owning files the session creates
    bool writable_tools = false;                // serve the tools read-write, as host root
    bool keep_serving = false;                  // keep serving the tools after the command
    bool quiet = false;                         // -q: no banner at an interactive start
    std::optional<std::string> host_sockets;    // "x11,dbus": host socket dirs to mount
    std::optional<std::string> elevate;         // confinement layers to lift (elevation.hpp)
};

struct ExecOptions {
    std::string container;  // empty: the container of the current attach session
    std::vector<std::string> types;
    std::vector<std::string> command;    // empty: /bin/sh
    std::optional<std::string> elevate;  // confinement layers to lift (elevation.hpp)
};

int run_attach(const AttachOptions& opts);
int run_exec(const ExecOptions& opts);

}  // namespace cntr
