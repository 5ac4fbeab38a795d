# What `cmake --install` (and the Debian package) puts where:
#   bin/cntr, bin/cntr-fatimg          the commands users run
#   bin/kubectl-cntr                   the kubectl plugin (kubectl cntr)
#   libexec/cntr/cntrfs-server         started by cntr only, never from PATH
#   share/man/man1/cntr{,-fatimg}.1.gz  the man pages
#   share/{bash-completion,zsh,fish}/  shell completions, where each shell looks
#   share/doc/cntr/                    README, copyright (the license), the profile
#                                      schema and example profiles
# DESTDIR works as usual (staged installs, packaging).
install(TARGETS cntr cntr-fatimg RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS cntrfs-server RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/cntr)
# The kubectl plugin (`kubectl cntr`): kubectl finds kubectl-* executables on PATH.
install(PROGRAMS ${PROJECT_SOURCE_DIR}/kubectl-cntr/kubectl-cntr DESTINATION ${CMAKE_INSTALL_BINDIR})

# man and Debian want the pages compressed, reproducibly (-n: no name or time stamp).
find_program(GZIP_EXECUTABLE gzip REQUIRED)
set(cntr_man_pages)
foreach(page cntr.1 cntr-fatimg.1)
  set(gz ${CMAKE_BINARY_DIR}/man/${page}.gz)
  add_custom_command(OUTPUT ${gz}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
    COMMAND ${GZIP_EXECUTABLE} -9n -c ${PROJECT_SOURCE_DIR}/docs/${page} > ${gz}
    DEPENDS ${PROJECT_SOURCE_DIR}/docs/${page} VERBATIM)
  list(APPEND cntr_man_pages ${gz})
endforeach()
add_custom_target(cntr_man ALL DEPENDS ${cntr_man_pages})
install(FILES ${cntr_man_pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

install(FILES ${PROJECT_SOURCE_DIR}/completions/cntr.bash
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME cntr)
install(FILES ${PROJECT_SOURCE_DIR}/completions/_cntr
  DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
install(FILES ${PROJECT_SOURCE_DIR}/completions/cntr.fish
  DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)
install(FILES ${PROJECT_SOURCE_DIR}/completions/cntr-fatimg.bash
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME cntr-fatimg)
install(FILES ${PROJECT_SOURCE_DIR}/completions/_cntr_fatimg
  DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
install(FILES ${PROJECT_SOURCE_DIR}/completions/cntr-fatimg.fish
  DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)

install(FILES ${PROJECT_SOURCE_DIR}/README.md
  ${PROJECT_SOURCE_DIR}/profiles/schema.yaml
  DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${PROJECT_SOURCE_DIR}/examples/profiles/team.yaml
  DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
# Not executable in doc/ (Debian policy): run it as `bash .../build-tools-image.sh`.
install(FILES ${PROJECT_SOURCE_DIR}/examples/tools-image/build-tools-image.sh
  ${PROJECT_SOURCE_DIR}/examples/tools-image/debian-tools.yaml
  DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples/tools-image)
