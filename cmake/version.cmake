# The version every program prints: the project version, plus the commit when
# built from a git checkout ("0.1.0 (git 1a2b3c4d5e6f)", "-dirty" with local
# changes). CNTR_GIT_COMMIT may be given to build from an exported tree.
set(CNTR_GIT_COMMIT "" CACHE STRING "Commit to print with --version (default: from git)")
set(cntr_commit "${CNTR_GIT_COMMIT}")
find_package(Git QUIET)
if(cntr_commit STREQUAL "" AND GIT_FOUND AND EXISTS "${PROJECT_SOURCE_DIR}/.git")
  execute_process(
    COMMAND "${GIT_EXECUTABLE}" describe --always --dirty --abbrev=12 --match=NeVeR
    WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}"
    OUTPUT_VARIABLE cntr_commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  # Configure again when HEAD moves, so the printed commit is never stale.
  execute_process(
    COMMAND "${GIT_EXECUTABLE}" rev-parse --absolute-git-dir
    WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}"
    OUTPUT_VARIABLE cntr_git_dir OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  execute_process(
    COMMAND "${GIT_EXECUTABLE}" rev-parse --symbolic-full-name HEAD
    WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}"
    OUTPUT_VARIABLE cntr_head_ref OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  foreach(f HEAD "${cntr_head_ref}")
    if(EXISTS "${cntr_git_dir}/${f}")
      set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${cntr_git_dir}/${f}")
    endif()
  endforeach()
endif()
if(cntr_commit STREQUAL "")
  set(CNTR_VERSION_STRING "${PROJECT_VERSION}")
else()
  set(CNTR_VERSION_STRING "${PROJECT_VERSION} (git ${cntr_commit})")
endif()
message(STATUS "cntr version: ${CNTR_VERSION_STRING}")
