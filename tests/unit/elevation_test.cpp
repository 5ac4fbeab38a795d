#include "elevation.hpp"

#include <gtest/gtest.h>

#include "error.hpp"

using namespace cntr;

TEST(Elevation, ParsesNamedLayersAndAll) {
    Elevation e;
    EXPECT_FALSE(e.any());
    parse_elevation("seccomp,keyring", e);
    EXPECT_TRUE(e.seccomp);
    EXPECT_TRUE(e.keyring);
    EXPECT_FALSE(e.caps);
    EXPECT_EQ(elevation_names(e), "seccomp,keyring");
    Elevation all;
    parse_elevation("all", all);
    EXPECT_EQ(elevation_names(all), "seccomp,caps,lsm,cgroup,limits,keyring,fence");
}

TEST(Elevation, UnknownLayerIsAnErrorNamingTheKnownOnes) {
    Elevation e;
    try {
        parse_elevation("seccomp,everything", e);
        FAIL() << "accepted an unknown layer";
    } catch (const UserError& err) {
        EXPECT_NE(std::string(err.what()).find("unknown layer 'everything'"), std::string::npos);
        EXPECT_NE(std::string(err.what()).find("seccomp, caps"), std::string::npos);
    }
}
