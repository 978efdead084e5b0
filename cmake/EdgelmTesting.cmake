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

# Each build tree's tests get their own temporary directory: tests name their scratch
# files after the test, which is unique within one ctest run, but two build trees
# (release and asan, or two checkouts) tested at once on one machine would otherwise
# share /tmp and remove each other's files.
set(EDGELM_TEST_TMPDIR "${PROJECT_BINARY_DIR}/test-tmp")
file(MAKE_DIRECTORY "${EDGELM_TEST_TMPDIR}")

# edgelm_add_test(NAME SOURCES... LINKS ... [LABELS ...])
function(edgelm_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LINKS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE edgelm_options ${ARG_LINKS} ${EDGELM_GTEST_LIBS})
  target_compile_definitions(${name} PRIVATE
    EDGELM_SHARED_DIR="${EDGELM_SHARED_DIR}"
    EDGELM_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    EDGELM_BINARY_DIR="${PROJECT_BINARY_DIR}")
  # An empty LABELS value would vanish from the list and shift the next property into
  # its place: add it only when there are labels.
  # One variable only (a list value would be split by gtest_discover_tests): TMPDIR, which
  # both testing::TempDir() and std::filesystem::temp_directory_path() read.
  set(props ENVIRONMENT "TMPDIR=${EDGELM_TEST_TMPDIR}")
  if(ARG_LABELS)
    list(APPEND props LABELS "${ARG_LABELS}")
  endif()
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 60 PROPERTIES ${props})
endfunction()
