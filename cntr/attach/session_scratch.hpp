// The session's private writable directories when the tools are read-only.
//
// By default the tools are served read-only (a container process reaches them
// through /proc/<session pid>/root; see docs/security.md). An interactive shell
// still needs somewhere to write: /tmp and /var/tmp (editors' swap files, tmux's
// socket, here-documents) and its home directory (history, ~/.viminfo). Each gets
// a fresh tmpfs, mounted in the session's own mount namespace only: nothing of it
// reaches the host or the container's tree, and it is gone with the session.
#pragma once

#include <string>
#include <vector>

#include "process_context.hpp"

namespace cntr {

// Mounts the scratch directories over the tools' view; call it chrooted into the
// tools, before anything is mounted below /tmp (the X11 socket directory).
// Each must exist as a directory by then; the home directory (the container
// process's $HOME) only gets one when it is /root or below /home: $HOME is the container's to
// choose, and a tmpfs over, say, /usr/bin would let the container plant the session's tools.
void mount_session_scratch(const ProcessContext& ctx);

// Where mount_session_scratch() mounts: /tmp, /var/tmp and $HOME when it is a
// plain path to /root or below /home. The tools may lack them (a minimal tools
// image; a container user's home the host does not have): the session root
// provides them (session_mountpoints.hpp) before the scratch is mounted.
std::vector<std::string> session_scratch_directories(const ProcessContext& ctx);

}  // namespace cntr
