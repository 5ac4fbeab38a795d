// Image references, spelled like skopeo's transports:
//   [docker://]NAME[:TAG][@DIGEST]   a registry image; Docker Hub short names are expanded
//                                    (busybox -> docker.io/library/busybox:latest)
//   docker-archive:PATH              a `docker save` tarball
//   oci-archive:PATH                 a tarball of an OCI image layout
//   oci:DIR[:TAG]                    an OCI image layout directory
//   docker-daemon:NAME[:TAG]         an image of the local dockerd (/var/run/docker.sock)
// key() is the name under which the store's refs index records the image. An image of
// the local dockerd keeps its own name (docker-daemon:tools:1 is recorded as
// docker.io/library/tools:1), so `--tools tools:1` finds what was imported; source()
// still says where it came from.
#pragma once

#include <string>

namespace cntr::fatimg {

enum class Transport { docker, docker_archive, oci_archive, oci, docker_daemon };

struct Reference {
    Transport transport = Transport::docker;
    // docker and docker-daemon: normalised registry name parts.
    std::string registry;    // "docker.io", "127.0.0.1:5000"
    std::string repository;  // "library/busybox"
    std::string tag;         // "latest" unless a digest was given
    std::string digest;      // "sha256:..." or empty
    // archives and oci: absolute path, and the TAG of oci:DIR:TAG.
    std::string path;
    std::string path_tag;

    // "docker.io/library/busybox:latest", "oci:/abs/dir:tag", "docker-archive:/abs/x.tar", ...
    [[nodiscard]] std::string key() const;
    // key() with the transport: "docker-daemon:docker.io/library/tools:1", ...
    [[nodiscard]] std::string source() const;
    // NAME[:TAG][@DIGEST] without transport.
    [[nodiscard]] std::string name() const;
    // Host the registry API lives on (Docker Hub: registry-1.docker.io).
    [[nodiscard]] std::string api_host() const;
};

// Throws UserError with the accepted syntax on malformed input.
Reference parse_reference(const std::string& text);

}  // namespace cntr::fatimg
