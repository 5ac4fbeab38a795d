// TEMPORARY while cntr-fatimg is being added to the build in this session:
// removed as soon as the cntr_fatimg target exists.
#include "error.hpp"
#include "tools_source.hpp"

namespace cntr {

ToolsRoot image_tools(const std::string& reference, const std::string&) {
    throw UserError("tools image " + reference + ": this cntr was built without cntr-fatimg");
}

}  // namespace cntr
