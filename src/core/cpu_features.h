// What the CPU and OS support, detected once; the kernel dispatch picks an ISA path from
// it, and a flag (--isa) may force a lower one.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace edgelm {

struct CpuFeatures {
  // x86-64 (each true only when the OS also saves the registers: XGETBV).
  bool avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false;
  bool avx512vnni = false, avx512bf16 = false, avxvnni = false;
  // aarch64 (from the kernel's hwcaps).
  bool neon = false, dotprod = false, i8mm = false, fp16_arith = false, sve = false, bf16 = false;
  std::string cpu_model;  // "AMD EPYC ..." / "Cortex-A76 ..." where known
  std::string arch;       // "x86_64", "aarch64"
};

// Detected once per process (cached).
const CpuFeatures& DetectCpuFeatures();

// The kernel paths edgelm has. Ordered: a path may run only where every lower path of
// the same architecture also runs.
enum class Isa { kScalar = 0, kAvx2, kAvx512, kNeon, kNeonDot };

const char* IsaName(Isa isa);
// Accepts "scalar", "avx2", "avx512", "neon", "neon-dot" (and "auto" -> best).
Result<Isa> ParseIsa(const std::string& name, const CpuFeatures& cpu);
// Whether this binary has kernels for `isa` and this CPU can run them.
bool IsaAvailable(Isa isa, const CpuFeatures& cpu);
// The fastest available path.
Isa BestIsa(const CpuFeatures& cpu);
// All paths available here, lowest first.
std::vector<Isa> AvailableIsas(const CpuFeatures& cpu);
// A one-line summary: "x86_64 avx2 fma f16c avx512f ... (AMD EPYC ...)".
std::string DescribeCpuFeatures(const CpuFeatures& cpu);

}  // namespace edgelm
