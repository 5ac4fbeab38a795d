#include "process_context.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include "error.hpp"

using namespace cntr;

TEST(ProcStatus, FindsFieldsAndTrimsTabs) {
    const std::string status = "Name:\tsleep\nUid:\t0\t0\t0\t0\nCapEff:\t00000000a80425fb\n";
    EXPECT_EQ(status_field(status, "Name"), "sleep");
    EXPECT_EQ(status_field(status, "CapEff"), "00000000a80425fb");
    EXPECT_FALSE(status_field(status, "Cap"));
    EXPECT_EQ(parse_cap_mask("00000000a80425fb"), 0xa80425fbULL);
}

TEST(IdMap, MapsHostIdsIntoTheNamespace) {
    auto map = parse_id_map("         0     100000      65536\n     65536       1000          1\n");
    ASSERT_EQ(map.size(), 2U);
    EXPECT_EQ(map_to_inside(map, 100000), 0U);
    EXPECT_EQ(map_to_inside(map, 100005), 5U);
    EXPECT_EQ(map_to_inside(map, 1000), 65536U);
    EXPECT_FALSE(map_to_inside(map, 99999));
    EXPECT_FALSE(map_to_inside(map, 165536));
}

TEST(IdMap, RejectsGarbage) { EXPECT_THROW(parse_id_map("0 x 1\n"), UserError); }

TEST(Environ, SplitsOnNul) {
    std::string data("A=1\0B=2\0\0C=3", 12);
    EXPECT_EQ(split_nul(data), (std::vector<std::string>{"A=1", "B=2", "C=3"}));
}

TEST(LsmLabel, StripsModeAndNewline) {
    EXPECT_EQ(normalize_lsm_label("docker-default (enforce)\n"), "docker-default");
    EXPECT_EQ(normalize_lsm_label("system_u:system_r:container_t:s0:c1,c2\0"),
              "system_u:system_r:container_t:s0:c1,c2");
    EXPECT_EQ(normalize_lsm_label("unconfined\n"), "unconfined");
}

TEST(CaptureProcessContext, ReadsOurOwnProcess) {
    auto ctx = capture_process_context(::getpid());
    EXPECT_EQ(ctx.pid, ::getpid());
    EXPECT_EQ(ctx.creds.uid, ::getuid());
    EXPECT_FALSE(ctx.environ.empty());
    for (const auto& ns : ctx.namespaces) EXPECT_FALSE(ns.differs) << namespace_name(ns.kind);
    EXPECT_TRUE(ctx.root.valid());
}

TEST(CaptureProcessContext, MissingProcessIsAUserError) {
    EXPECT_THROW(capture_process_context(0x3ffffff0), UserError);
}

TEST(ProcStatFields, CommWithSpacesAndParenthesesIsSkipped) {
    const std::string stat =
        "42 (evil) 1 2 (x) S 7 42 42 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 "
        "123456 100 1 0\n";
    auto fields = proc_stat_fields(stat);
    ASSERT_GT(fields.size(), 19U);
    EXPECT_EQ(fields[0], "S");
    EXPECT_EQ(fields[1], "7");
    EXPECT_EQ(fields[19], "123456");
    EXPECT_TRUE(proc_stat_fields("no comm here").empty());
}
