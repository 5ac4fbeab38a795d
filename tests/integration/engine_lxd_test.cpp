// LXD instances launched from the slim image that tests/engines/lxd-fixture.sh
// imports (alias cntr-test-slim), resolved through LXD's REST API socket.
#include <gtest/gtest.h>

#include "engine_support.hpp"

using namespace cntr::test;

namespace {
struct LxdInstance {
    LxdInstance() : name(unique_name("lxd")), guard("lxc delete -f " + name + " >/dev/null 2>&1") {
        must("lxc launch cntr-test-slim " + name +
             " -c raw.lxc=lxc.apparmor.profile=unconfined >/dev/null");
    }
    std::string name;
    OnExit guard;
};
}  // namespace

TEST(EngineLxd, AttachAndExecByName) {
    LxdInstance c;
    auto a = run({kCntr, "attach", c.name, "--", "sh", "-c",
                  "hostname; test -L /var/lib/cntr/bin/sh && echo ok"});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_EQ(a.out, c.name + "\nok\n");
    auto e = run({kCntr, "exec", "-t", "lxd", c.name, "--", "sh", "-c",
                  "hostname; test -e /usr/bin/python3 || echo container-root"});
    ASSERT_EQ(e.exit_code, 0) << e.err;
    EXPECT_EQ(e.out, c.name + "\ncontainer-root\n");
    EXPECT_NE(ps_rows().find("lxd " + c.name + " "), std::string::npos) << ps_rows();
}

TEST(EngineLxd, FrozenInstanceSaysSo) {
    LxdInstance c;
    must("lxc pause " + c.name);
    auto r = run({kCntr, "attach", c.name, "--", "true"});
    EXPECT_EQ(r.exit_code, 125);
    EXPECT_NE(r.err.find("is frozen"), std::string::npos) << r.err;
}
