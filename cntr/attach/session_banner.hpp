// What tells a person, and their prompt, where an attach session is: the line
// an interactive session starts with, and CNTR_SESSION / CNTR_CONTAINER.
#pragma once

#include <map>
#include <string>

namespace cntr {

// "cntr: attached to web (docker), tools: host, the container's root is
// /var/lib/cntr; exit or Ctrl-D to leave".
std::string session_banner(const std::string& container, const std::string& engine,
                           const std::string& tools);

// CNTR_SESSION=ENGINE:NAME and CNTR_CONTAINER=NAME.
std::map<std::string, std::string> session_variables(const std::string& container,
                                                     const std::string& engine);

}  // namespace cntr
