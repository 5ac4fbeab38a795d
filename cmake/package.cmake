# The Debian package: `cpack -G DEB` in a build tree gives cntr_VERSION_ARCH.deb.
# CPack rather than a debian/ directory: the package is made from the same
# install rules as `cmake --install` (one description of the layout), with no
# second build system to keep in step, and dpkg-shlibdeps still computes the
# dependencies from the shared libraries the programs link.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME cntr)
set(CPACK_PACKAGE_VENDOR "The cntr developers")
set(CPACK_PACKAGE_CONTACT "The cntr developers <cntr@users.noreply.github.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "debug a slim container with the tools of a fat one")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "fuse3")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# The synopsis is CPACK_PACKAGE_DESCRIPTION_SUMMARY; this is the extended part.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "cntr attach opens a shell inside the namespaces, cgroup and security context
of a running container (docker, podman, LXC, LXD, systemd-nspawn, containerd,
Kubernetes CRI or a plain process), with the tools of the host, of another
container or of an OCI image at / and the container's own files at
/var/lib/cntr, without installing anything into the container. cntr-fatimg
pulls and manages the tool images.")

# Debian wants the copyright (machine-readable, with the license) and the
# changelog in the package's doc directory; they are harmless in a plain install.
configure_file(${PROJECT_SOURCE_DIR}/packaging/debian/changelog.in
  ${CMAKE_BINARY_DIR}/packaging/changelog @ONLY)
set(cntr_changelog_gz ${CMAKE_BINARY_DIR}/packaging/changelog.gz)
add_custom_command(OUTPUT ${cntr_changelog_gz}
  COMMAND ${GZIP_EXECUTABLE} -9n -c ${CMAKE_BINARY_DIR}/packaging/changelog > ${cntr_changelog_gz}
  DEPENDS ${CMAKE_BINARY_DIR}/packaging/changelog VERBATIM)
add_custom_target(cntr_changelog ALL DEPENDS ${cntr_changelog_gz})
install(FILES ${PROJECT_SOURCE_DIR}/packaging/debian/copyright ${cntr_changelog_gz}
  DESTINATION ${CMAKE_INSTALL_DOCDIR})

include(CPack)
