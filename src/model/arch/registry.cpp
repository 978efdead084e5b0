#include "model/arch/architecture.h"

namespace edgelm {
namespace {

// An explicit list rather than self-registration: static registrars in a static library
// are dropped by the linker when nothing references their object file.
const Architecture* const* AllArchitectures(size_t* n) {
  static const Architecture* const kAll[] = {&LlamaArchitecture(), &Qwen2Architecture()};
  *n = sizeof(kAll) / sizeof(kAll[0]);
  return kAll;
}

}  // namespace

const Architecture* FindArchitectureOrNull(std::string_view name) {
  size_t n;
  const Architecture* const* all = AllArchitectures(&n);
  for (size_t i = 0; i < n; ++i) {
    if (name == all[i]->name()) return all[i];
  }
  return nullptr;
}

std::string SupportedArchitectureNames() {
  size_t n;
  const Architecture* const* all = AllArchitectures(&n);
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    if (i) s += ", ";
    s += all[i]->name();
  }
  return s;
}

}  // namespace edgelm
