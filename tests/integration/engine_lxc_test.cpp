// LXC containers from the busybox template (no network: lxc.net.0.type =
// empty), created and destroyed here; config from tests/engines/lxc-fixture.sh.
#include <gtest/gtest.h>

#include "engine_support.hpp"

using namespace cntr::test;

namespace {
struct LxcContainer {
    LxcContainer()
        : name(unique_name("lxc")), guard("lxc-destroy -f -n " + name + " >/dev/null 2>&1") {
        must("lxc-create -n " + name +
             " -t busybox -f /run/cntr-test/lxc.conf >/dev/null && lxc-start -n " + name +
             " && lxc-wait -n " + name + " -s RUNNING -t 10");
    }
    std::string name;
    OnExit guard;
};
}  // namespace

TEST(EngineLxc, AttachAndExecByName) {
    LxcContainer c;
    auto a = run({kCntr, "attach", c.name, "--", "sh", "-c",
                  "hostname; test -x /var/lib/cntr/bin/busybox && echo ok"});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_EQ(a.out, c.name + "\nok\n");
    auto e = run({kCntr, "exec", "-t", "lxc", c.name, "--", "sh", "-c",
                  "hostname; test -e /usr/bin/python3 || echo container-root"});
    ASSERT_EQ(e.exit_code, 0) << e.err;
    EXPECT_EQ(e.out, c.name + "\ncontainer-root\n");
    EXPECT_NE(ps_rows().find("lxc " + c.name + " "), std::string::npos) << ps_rows();
}

TEST(EngineLxc, StoppedContainerSaysHowToStartIt) {
    LxcContainer c;
    must("lxc-stop -k -n " + c.name);
    auto r = run({kCntr, "attach", c.name, "--", "true"});
    EXPECT_EQ(r.exit_code, 125);
    EXPECT_NE(r.err.find("lxc-start -n " + c.name), std::string::npos) << r.err;
}
