#include "resolve/resolver.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include "error.hpp"

using namespace cntr;

TEST(ContainerTypes, ParsesAndDeduplicates) {
    EXPECT_EQ(parse_container_types("docker,process_id,docker"),
              (std::vector<std::string>{"docker", "process_id"}));
}

TEST(ContainerTypes, UnknownTypeNamesTheKnownOnes) {
    try {
        parse_container_types("docker,lxd-typo");
        FAIL() << "no error";
    } catch (const UserError& e) {
        EXPECT_NE(std::string(e.what()).find("lxd-typo"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find("process_id"), std::string::npos);
    }
    EXPECT_THROW(parse_container_types(","), UserError);
}

TEST(ProcessIdResolver, FindsLiveProcessesOnly) {
    auto r = make_process_id_resolver();
    EXPECT_EQ(r->resolve(std::to_string(::getpid())), ::getpid());
    EXPECT_FALSE(r->resolve("not-a-pid"));
    EXPECT_FALSE(r->resolve("0"));
    EXPECT_FALSE(r->resolve("1073741820"));
}

TEST(ResolveContainer, UnknownNameListsTheEnginesTried) {
    try {
        resolve_container("no-such-container-xyz", {"process_id"});
        FAIL() << "no error";
    } catch (const UserError& e) {
        EXPECT_NE(std::string(e.what()).find("tried: process_id"), std::string::npos);
    }
}
