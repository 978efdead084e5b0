# Warnings and sanitizers for every edgelm target. No -march=native: SIMD kernels are
# compiled per file with their own target flags and chosen at run time.
add_library(edgelm_options INTERFACE)
target_compile_options(edgelm_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align
  -Wno-missing-field-initializers)
target_include_directories(edgelm_options INTERFACE
  ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/include)

if(EDGELM_SANITIZE)
  set(EDGELM_SANITIZER_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer
      -fno-sanitize-recover=undefined)
  target_compile_options(edgelm_options INTERFACE ${EDGELM_SANITIZER_FLAGS})
  target_link_options(edgelm_options INTERFACE ${EDGELM_SANITIZER_FLAGS})
endif()

find_package(Threads REQUIRED)
target_link_libraries(edgelm_options INTERFACE Threads::Threads)

# Prefer ccache when present: CI rebuilds the same tree several times (release, asan).
find_program(EDGELM_CCACHE ccache)
if(EDGELM_CCACHE)
  set(CMAKE_C_COMPILER_LAUNCHER ${EDGELM_CCACHE})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${EDGELM_CCACHE})
endif()

# edgelm_add_layer(NAME SOURCES... LINKS ...): one static library per layer.
function(edgelm_add_layer name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LINKS;PRIVATE_LINKS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_link_libraries(${name} PUBLIC edgelm_options ${ARG_LINKS} PRIVATE ${ARG_PRIVATE_LINKS})
endfunction()
