// The pure decisions behind issue 13's fixes: which hosts are loopback, which realms
// may be fetched and may see credentials, which references parse, what reaches a
// terminal, which index entry a platform picks.
#include <gtest/gtest.h>

#include "error.hpp"
#include "importers.hpp"
#include "json_limits.hpp"
#include "platform.hpp"
#include "reference.hpp"
#include "text.hpp"
#include "url_policy.hpp"

namespace cntr::fatimg {
namespace {

TEST(FatimgPolicy, LoopbackIsDecidedByTheParsedAddress) {
    for (const char* h : {"127.0.0.1", "127.255.1.2", "::1", "::ffff:127.0.0.1", "localhost"})
        EXPECT_TRUE(is_loopback_host(h)) << h;
    for (const char* h : {"127.evil.test", "127.0.0.1.nip.io", "128.0.0.1", "::2", "10.0.0.1",
                          "localhost.evil.test", ""})
        EXPECT_FALSE(is_loopback_host(h)) << h;
    EXPECT_EQ(host_of("[::1]:5000"), "::1");
    EXPECT_EQ(host_of("127.0.0.1:5000"), "127.0.0.1");
}

TEST(FatimgPolicy, RealmMustBeHttpsUnlessBothAreLoopbackHttp) {
    EXPECT_NO_THROW(check_realm("https://auth.docker.io/token", "docker.io", false));
    EXPECT_NO_THROW(check_realm("http://127.0.0.1:5002/token", "127.0.0.1:5001", true));
    EXPECT_THROW(check_realm("http://auth.example.com/token", "registry.example.com", false),
                 UserError);
    EXPECT_THROW(check_realm("http://127.0.0.1:5002/token", "127.0.0.1:5443", false), UserError)
        << "an https registry never hands out an http realm";
    EXPECT_THROW(check_realm("http://10.0.0.1/token", "127.0.0.1:5001", true), UserError);
    for (const char* bad : {"gopher://127.0.0.1:6379/_x", "file:///etc/shadow", "dict://x/",
                            "ftp://x/", "https://x/\r\nHost: y", "//nohost"})
        EXPECT_THROW(check_realm(bad, "127.0.0.1:5001", true), UserError) << bad;
}

TEST(FatimgPolicy, CredentialsGoOnlyToTheRegistrysOwnRealm) {
    auto may = [](const char* realm, const char* registry) {
        return realm_may_see_credentials(parse_url(realm, "t"), registry);
    };
    EXPECT_TRUE(may("https://auth.docker.io/token", "docker.io"));
    EXPECT_TRUE(may("https://ghcr.io/token", "ghcr.io"));
    EXPECT_TRUE(may("https://gitlab.com/jwt/auth", "registry.gitlab.com"));
    EXPECT_TRUE(may("https://reg.example.com:8443/token", "reg.example.com:5000"));
    EXPECT_TRUE(may("http://127.0.0.1:5002/token", "127.0.0.1:5001"));
    EXPECT_FALSE(may("https://evil.test/token", "ghcr.io"));
    EXPECT_FALSE(may("https://ghcr.io.evil.test/token", "ghcr.io"));
    EXPECT_FALSE(may("http://reg.example.com/token", "reg.example.com"));
    EXPECT_FALSE(may("http://127.0.0.2:5002/token", "127.0.0.1:5001"));
    EXPECT_FALSE(may("https://com/token", "example.com"));
}

TEST(FatimgPolicy, ReferencesFollowTheDistributionGrammar) {
    for (const char* ok : {"127.0.0.1:5000/tools:v1", "[::1]:5000/a/b", "a-b.example.com/x_y/z",
                           "localhost/a__b/c-d:T_1.2-x", "quay.io/a/b.c:latest"})
        EXPECT_NO_THROW(parse_reference(ok)) << ok;
    for (const char* bad :
         {"127.0.0.1:5000?x=/tools:v1", "127.0.0.1:5000#x/t:1", "h.io/tools:", "h.io/a/../b",
          "a..b:5000/x", "h.io:0/x", "h.io:99999/x", "-h.io/x", "h.io/x%2f", "h.io/_x",
          "h.io/x:-tag", "[::zz]:5000/x", "h.io/a b", "h.io/x___y"})
        EXPECT_THROW(parse_reference(bad), UserError) << bad;
}

TEST(FatimgPolicy, PrintableEscapesControlsAndKeepsUtf8) {
    EXPECT_EQ(printable("a\x1b[2Jb\x07"), "a\\x1b[2Jb\\x07");
    EXPECT_EQ(printable("caf\xc3\xa9"), "caf\xc3\xa9");
    EXPECT_EQ(printable("\xc2\x9b"
                        "31m"),
              "\\xc2\\x9b31m")
        << "C1 CSI";
    EXPECT_EQ(printable("\xff\xfe"), "\\xff\\xfe");
    EXPECT_FALSE(is_printable("abc\r\nX: y"));
    EXPECT_EQ(parse_size("512K", "t"), 512u << 10);
    EXPECT_EQ(parse_size("32G", "t"), 32ull << 30);
    EXPECT_THROW(parse_size("12Q", "t"), UserError);
    EXPECT_THROW(parse_size("99999999999999999T", "t"), UserError);
}

TEST(FatimgPolicy, JsonDepthAndIntegersAreChecked) {
    EXPECT_NO_THROW(parse_json(std::string(64, '[') + std::string(64, ']'), "t"));
    EXPECT_THROW(parse_json(std::string(65, '[') + std::string(65, ']'), "t"), UserError);
    EXPECT_NO_THROW(parse_json(
        R"({"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["})", "t"))
        << "brackets in strings do not count";
    EXPECT_THROW(json_uint(parse_json(R"({"s":6e22})", "t"), "s", "t"), UserError);
    EXPECT_THROW(json_uint(parse_json(R"({"s":-1})", "t"), "s", "t"), UserError);
    EXPECT_EQ(json_uint(parse_json(R"({"s":101})", "t"), "s", "t"), 101u);
}

TEST(FatimgPolicy, PlatformChoiceAndItsError) {
    const std::string index = R"({"manifests":[
      {"digest":"sha256:)" + std::string(64, 'a') +
                              R"(","size":10,
       "platform":{"os":"linux","architecture":"amd64"}},
      {"digest":"sha256:)" + std::string(64, 'b') +
                              R"(","size":11,
       "platform":{"os":"linux","architecture":"arm64","variant":"v8"}},
      {"digest":"sha256:)" + std::string(64, 'c') +
                              R"(","size":12,
       "platform":{"os":"linux","architecture":"arm","variant":"v7"}}]})";
    EXPECT_EQ(pick_platform_manifest(index, "t", parse_platform("linux/arm64")).size, 11u);
    EXPECT_EQ(pick_platform_manifest(index, "t", parse_platform("linux/arm64/v8")).size, 11u);
    EXPECT_EQ(pick_platform_manifest(index, "t", parse_platform("linux/arm/v7")).size, 12u);
    EXPECT_EQ(pick_platform_manifest(index, "t", parse_platform("")).digest,
              "sha256:" + std::string(64, host_platform().architecture == "amd64" ? 'a' : 'b'));
    try {
        pick_platform_manifest(index, "index X", parse_platform("linux/s390x"));
        ADD_FAILURE() << "no s390x image";
    } catch (const UserError& e) {
        EXPECT_STREQ(e.what(),
                     "index X has no linux/s390x image (it offers: linux/amd64, linux/arm64/v8, "
                     "linux/arm/v7); choose one with --platform OS/ARCH[/VARIANT]");
    }
    EXPECT_THROW(parse_platform("linux"), UserError);
    EXPECT_THROW(parse_platform("linux/amd64/v1/x"), UserError);
    EXPECT_THROW(parse_platform("Linux/AMD64"), UserError);
}

}  // namespace
}  // namespace cntr::fatimg
