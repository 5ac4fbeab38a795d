// A session is a command running with the container's namespaces, cgroup and
// credentials. Three processes take part (see DESIGN.md, "Attach"):
//
//   cntr (parent, host)      session_parent.cpp: forwards the terminal, watches
//    │                       the container, returns the command's exit status
//    ├─ session child        session_child.cpp: builds the root (tools or the
//    │   │                   container's own), joins the namespaces, waits
//    │   └─ command          becomes the container's process and execs
//    └─ cntrfs-server        serves the tools (attach only)
//
// Parent and child talk over a SEQPACKET socketpair: the child sends "pty"
// with the PTY master, or "ready" for plain stdio; EOF before that means the
// child failed and has already said why on stderr. Without a PTY the command's
// stdio are pipes the parent relays to its own 0/1/2: the admin's own
// descriptors (a terminal, a host file) never enter the container.
#pragma once

#include <sys/ioctl.h>
#include <termios.h>

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "elevation.hpp"
#include "environment.hpp"
#include "lsm.hpp"
#include "process_context.hpp"

namespace cntr {

enum class SessionRootKind {
    tools,      // cntr attach: the tools at /, the container at /var/lib/cntr
    container,  // cntr exec: the container's own root
};

struct SessionConfig {
    const ProcessContext* ctx = nullptr;
    SessionRootKind root_kind = SessionRootKind::tools;
    std::vector<std::string> command;  // empty: the user's shell
    std::string user_shell;            // $SHELL of the person running cntr
    bool use_pty = false;
    std::optional<termios> term_attrs;
    std::optional<winsize> term_size;
    std::optional<std::string> term;  // $TERM of the user's terminal
    std::string tools_path;           // PATH of the tools (attach only)
    EnvPolicy env_policy;             // from the profile (attach only)
    PathPolicy path_policy = PathPolicy::tools_only;
    int server_sock = -1;  // to cntrfs-server (attach only)
    // Host socket directories to mount, by name ("x11", "dbus"): opt-in only
    // (--host-sockets, the profile's host-sockets), never implied by host tools.
    std::vector<std::string> host_sockets;
    // --writable-tools: the tools read-write, no session-private /tmp (the old default).
    bool writable_tools = false;
    // --keep-serving: cntrfs-server outlives the command (background jobs); by default
    // it is ended with the session, so nothing keeps the tools reachable after it.
    bool keep_serving = false;
    // Interactive sessions: printed to stderr once the session is ready (empty: nothing),
    // and where the command starts (empty: "/").
    std::string banner;
    std::string workdir;
    // CNTR_SESSION, CNTR_CONTAINER: set by cntr, never the container's (attach only).
    std::map<std::string, std::string> session_vars;
    int control_sock = -1;  // to the parent
    // Without a PTY: the command's ends of the stdin, stdout, stderr pipes.
    std::array<int, 3> stdio{-1, -1, -1};
    Elevation elevation;  // confinement layers lifted on purpose (--elevate)
    LsmExec lsm;          // decided on the host by run_session()
};

// Terminal settings for a session started from cntr's own stdio.
SessionConfig interactive_session_config(const ProcessContext& ctx);

// Body of the session child (runs in a forked process); returns the exit code.
int run_session_child(const SessionConfig& cfg);

// Exit code cntr uses for its own failures, as docker and podman do.
inline constexpr int kCntrFailure = 125;

// Runs a whole session from the parent's side; returns cntr's exit code.
// `server` (may be null) is waited for after the session ends.
int run_session(SessionConfig cfg, ChildProcess* server);

}  // namespace cntr
