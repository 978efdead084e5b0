# GoogleTest: the system package on the host; built from Debian's source copy
# (/usr/src/googletest) when cross-compiling, since no arm64 binary package is installed.
if(CMAKE_CROSSCOMPILING)
  if(NOT TARGET gtest)
    set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
    add_subdirectory(/usr/src/googletest ${PROJECT_BINARY_DIR}/googletest EXCLUDE_FROM_ALL)
  endif()
  set(EDGELM_GTEST_LIBS gtest gmock gtest_main)
else()
  find_package(GTest REQUIRED)
  set(EDGELM_GTEST_LIBS GTest::gtest GTest::gmock GTest::gtest_main)
endif()
include(GoogleTest)

# Tests that read ../shared find it through this definition; they skip with a message
# when the directory is absent (a user's fresh clone) and run when it is present (CI).
get_filename_component(EDGELM_SHARED_DIR "${PROJECT_SOURCE_DIR}/../shared" ABSOLUTE)

# edgelm_add_test(NAME SOURCES... LINKS ... [LABELS ...])
function(edgelm_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LINKS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE edgelm_options ${ARG_LINKS} ${EDGELM_GTEST_LIBS})
  target_compile_definitions(${name} PRIVATE
    EDGELM_SHARED_DIR="${EDGELM_SHARED_DIR}"
    EDGELM_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    EDGELM_BINARY_DIR="${PROJECT_BINARY_DIR}")
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS "${ARG_LABELS}")
endfunction()
