// Where a session is: an interactive session says so in one line, starts in
// the container's root (or the profile's workdir), and exports CNTR_SESSION and
// CNTR_CONTAINER for prompts; a command run without a terminal gets nothing extra.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cntr_binary.hpp"
#include "docker_container.hpp"

using namespace cntr::test;
namespace fs = std::filesystem;

namespace {

constexpr winsize kSize{.ws_row = 24, .ws_col = 120, .ws_xpixel = 0, .ws_ypixel = 0};
const std::string kScript = "pwd; echo \"vars=$CNTR_SESSION|$CNTR_CONTAINER\"";

std::string banner(const std::string& name) {
    return "cntr: attached to " + name +
           " (docker), tools: host, the container's root is /var/lib/cntr; exit or Ctrl-D to "
           "leave\r\n";
}

}  // namespace

TEST(AttachOrientation, InteractiveSessionSaysWhereItIsAndStartsInTheContainersRoot) {
    DockerContainer c;
    auto r = run_on_pty({kCntr, "attach", c.name(), "--", "sh", "-c", kScript}, kSize, nullptr);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    // The line comes first, before anything of the session.
    EXPECT_EQ(r.out, banner(c.name()) + "/var/lib/cntr\r\nvars=docker:" + c.name() + "|" +
                         c.name() + "\r\n");

    auto quiet =
        run_on_pty({kCntr, "attach", "-q", c.name(), "--", "sh", "-c", kScript}, kSize, nullptr);
    ASSERT_EQ(quiet.exit_code, 0) << quiet.out;
    EXPECT_EQ(quiet.out, "/var/lib/cntr\r\nvars=docker:" + c.name() + "|" + c.name() + "\r\n");
}

TEST(AttachOrientation, AProfileSilencesTheLineAndChoosesTheStartingDirectory) {
    DockerContainer c;
    std::string tmpl = "/tmp/cntr-orientation.XXXXXX";
    const fs::path dir = ::mkdtemp(tmpl.data());
    const std::string profile = (dir / "quiet.yaml").string();
    std::ofstream(profile) << "name: quiet\nmatch: [" << c.name()
                           << "]\nquiet: true\nworkdir: /var/lib/cntr/etc\n";
    auto r = run_on_pty({kCntr, "attach", "--profiles", profile, c.name(), "--", "sh", "-c", "pwd"},
                        kSize, nullptr);
    fs::remove_all(dir);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(r.out, "/var/lib/cntr/etc\r\n");
}

TEST(AttachOrientation, ACommandWithoutATerminalGetsNothingExtra) {
    DockerContainer c;
    auto r = run({kCntr, "attach", c.name(), "--", "sh", "-c", kScript});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(r.out, "/\nvars=docker:" + c.name() + "|" + c.name() + "\n");
}
