// Reference parsing and normalisation (pure logic).
#include <gtest/gtest.h>

#include "error.hpp"
#include "reference.hpp"

namespace cntr::fatimg {
namespace {

TEST(FatimgReference, DockerHubShortNamesExpand) {
    auto r = parse_reference("busybox");
    EXPECT_EQ(r.key(), "docker.io/library/busybox:latest");
    EXPECT_EQ(r.api_host(), "registry-1.docker.io");
    EXPECT_EQ(parse_reference("docker://user/tool:2").key(), "docker.io/user/tool:2");
    EXPECT_EQ(parse_reference("index.docker.io/library/alpine").key(),
              "docker.io/library/alpine:latest");
}

TEST(FatimgReference, RegistryHostsPortsTagsDigests) {
    auto r = parse_reference("127.0.0.1:5000/tools:1");
    EXPECT_EQ(r.registry, "127.0.0.1:5000");
    EXPECT_EQ(r.repository, "tools");
    EXPECT_EQ(r.tag, "1");
    EXPECT_EQ(parse_reference("localhost/a/b").key(), "localhost/a/b:latest");
    std::string d = "sha256:" + std::string(64, 'a');
    auto byd = parse_reference("quay.io/x/y@" + d);
    EXPECT_EQ(byd.digest, d);
    EXPECT_EQ(byd.tag, "");
}

TEST(FatimgReference, TransportsGiveAbsolutePaths) {
    EXPECT_EQ(parse_reference("oci:/x/layout:v1").key(), "oci:/x/layout:v1");
    EXPECT_EQ(parse_reference("oci:/x/layout").path_tag, "");
    EXPECT_EQ(parse_reference("docker-archive:/a/b.tar").key(), "docker-archive:/a/b.tar");
    EXPECT_TRUE(parse_reference("oci-archive:rel.tar").path.starts_with("/"));
    EXPECT_EQ(parse_reference("docker-daemon:slim").source(),
              "docker-daemon:docker.io/library/slim:latest");
}

TEST(FatimgReference, DockerDaemonImageKeepsItsOwnName) {
    // Imported without --name, `--tools slim:1` must find it (issue 15, item 6).
    EXPECT_EQ(parse_reference("docker-daemon:slim:1").key(), "docker.io/library/slim:1");
    EXPECT_EQ(parse_reference("docker-daemon:slim:1").key(), parse_reference("slim:1").key());
}

TEST(FatimgReference, MalformedReferencesAreUserErrors) {
    EXPECT_THROW(parse_reference(""), UserError);
    EXPECT_THROW(parse_reference("UPPER/case"), UserError);
    EXPECT_THROW(parse_reference("a@sha256:short"), UserError);
    EXPECT_THROW(parse_reference("docker-archive:"), UserError);
    EXPECT_THROW(parse_reference("a/../b"), UserError);
}

}  // namespace
}  // namespace cntr::fatimg
