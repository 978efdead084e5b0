# Build info (version, commit, compiler, flags) compiled into edgelm_core and printed by
# `edgelm --version` and recorded in every result's run context.
find_package(Git QUIET)
set(EDGELM_GIT_COMMIT "unknown")
set(EDGELM_GIT_DIRTY "")
if(GIT_FOUND AND EXISTS ${PROJECT_SOURCE_DIR}/.git)
  execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --short=12 HEAD
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE EDGELM_GIT_COMMIT
    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  execute_process(COMMAND ${GIT_EXECUTABLE} status --porcelain --untracked-files=no
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE _dirty
    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(_dirty)
    set(EDGELM_GIT_DIRTY "-dirty")
  endif()
  if(NOT EDGELM_GIT_COMMIT)
    set(EDGELM_GIT_COMMIT "unknown")
  endif()
endif()
if(NOT CMAKE_BUILD_TYPE)
  set(CMAKE_BUILD_TYPE Release CACHE STRING "Build type" FORCE)
endif()
string(TOUPPER "${CMAKE_BUILD_TYPE}" _bt)
set(EDGELM_BUILD_FLAGS "${CMAKE_CXX_FLAGS} ${CMAKE_CXX_FLAGS_${_bt}}")
if(EDGELM_SANITIZE)
  string(APPEND EDGELM_BUILD_FLAGS " -fsanitize=address,undefined")
endif()
string(STRIP "${EDGELM_BUILD_FLAGS}" EDGELM_BUILD_FLAGS)
set(EDGELM_COMPILER "${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION}")
set(EDGELM_TARGET_ARCH "${CMAKE_SYSTEM_PROCESSOR}")
configure_file(${PROJECT_SOURCE_DIR}/src/core/build_info.cpp.in
  ${PROJECT_BINARY_DIR}/generated/build_info.cpp @ONLY)
