// Facts about this build, compiled in (see cmake/EdgelmBuildInfo.cmake).
#pragma once

namespace edgelm {

struct BuildInfo {
  const char* version;       // "0.1.0"
  const char* git_commit;    // short hash, "-dirty" when built from modified sources
  const char* build_type;    // Release, Debug, RelWithDebInfo
  const char* compiler;      // "GNU 12.2.0"
  const char* flags;         // CXX flags of the build type
  const char* target_arch;   // x86_64, aarch64
  bool sanitizers;           // ASan+UBSan build
  bool debug;                // an unoptimised build: numbers from it are not representative
};

const BuildInfo& GetBuildInfo();

}  // namespace edgelm
