#include "core/cpu_features.h"

#include <fstream>
#include <sstream>

#if defined(__x86_64__)
#include <cpuid.h>
#endif
#if defined(__aarch64__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace edgelm {
namespace {

std::string ReadCpuModelName() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    // x86: "model name", ARM: "Model" (board) or "CPU part"; the first match wins.
    for (const char* key : {"model name", "Model"}) {
      if (line.rfind(key, 0) == 0) {
        auto colon = line.find(':');
        if (colon != std::string::npos) {
          auto v = line.substr(colon + 1);
          v.erase(0, v.find_first_not_of(" \t"));
          return v;
        }
      }
    }
  }
  return "";
}

#if defined(__x86_64__)
uint64_t ReadXcr0() {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}
#endif

CpuFeatures Detect() {
  CpuFeatures f;
  f.cpu_model = ReadCpuModelName();
#if defined(__x86_64__)
  f.arch = "x86_64";
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool osxsave = (c >> 27) & 1;
  const bool has_fma = (c >> 12) & 1, has_f16c = (c >> 29) & 1, has_avx = (c >> 28) & 1;
  uint64_t xcr0 = osxsave ? ReadXcr0() : 0;
  const bool os_ymm = (xcr0 & 0x6) == 0x6;     // SSE + AVX state
  const bool os_zmm = (xcr0 & 0xE6) == 0xE6;   // + opmask, ZMM_Hi256, Hi16_ZMM
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
    f.avx2 = has_avx && os_ymm && ((b >> 5) & 1);
    f.fma = has_fma && os_ymm;
    f.f16c = has_f16c && os_ymm;
    f.avx512f = os_zmm && ((b >> 16) & 1);
    f.avx512dq = os_zmm && ((b >> 17) & 1);
    f.avx512bw = os_zmm && ((b >> 30) & 1);
    f.avx512vl = os_zmm && ((b >> 31) & 1);
    f.avx512vnni = os_zmm && ((c >> 11) & 1);
  }
  if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) {
    f.avxvnni = os_ymm && ((a >> 4) & 1);
    f.avx512bf16 = os_zmm && ((a >> 5) & 1);
  }
#elif defined(__aarch64__)
  f.arch = "aarch64";
  unsigned long hw = getauxval(AT_HWCAP);
  unsigned long hw2 = getauxval(AT_HWCAP2);
  f.neon = (hw & HWCAP_ASIMD) != 0;
  f.dotprod = (hw & HWCAP_ASIMDDP) != 0;
  f.fp16_arith = (hw & HWCAP_ASIMDHP) != 0;
  f.sve = (hw & HWCAP_SVE) != 0;
#ifdef HWCAP2_I8MM
  f.i8mm = (hw2 & HWCAP2_I8MM) != 0;
#endif
#ifdef HWCAP2_BF16
  f.bf16 = (hw2 & HWCAP2_BF16) != 0;
#endif
  (void)hw2;
#else
  f.arch = "unknown";
#endif
  return f;
}

}  // namespace

const CpuFeatures& DetectCpuFeatures() {
  static const CpuFeatures features = Detect();
  return features;
}

const char* IsaName(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return "scalar";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512: return "avx512";
    case Isa::kNeon: return "neon";
    case Isa::kNeonDot: return "neon-dot";
  }
  return "?";
}

bool IsaAvailable(Isa isa, const CpuFeatures& cpu) {
  switch (isa) {
    case Isa::kScalar: return true;
#if defined(__x86_64__)
    case Isa::kAvx2: return cpu.avx2 && cpu.fma && cpu.f16c;
    case Isa::kAvx512: return IsaAvailable(Isa::kAvx2, cpu) && cpu.avx512f && cpu.avx512bw && cpu.avx512vl;
#endif
#if defined(__aarch64__)
    case Isa::kNeon: return cpu.neon;
    case Isa::kNeonDot: return cpu.neon && cpu.dotprod;
#endif
    default: return false;
  }
}

std::vector<Isa> AvailableIsas(const CpuFeatures& cpu) {
  std::vector<Isa> out;
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512, Isa::kNeon, Isa::kNeonDot}) {
    if (IsaAvailable(isa, cpu)) out.push_back(isa);
  }
  return out;
}

Isa BestIsa(const CpuFeatures& cpu) { return AvailableIsas(cpu).back(); }

Result<Isa> ParseIsa(const std::string& name, const CpuFeatures& cpu) {
  if (name == "auto" || name.empty()) return BestIsa(cpu);
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512, Isa::kNeon, Isa::kNeonDot}) {
    if (name == IsaName(isa)) {
      if (!IsaAvailable(isa, cpu)) {
        std::string avail;
        for (Isa a : AvailableIsas(cpu)) avail += std::string(avail.empty() ? "" : ", ") + IsaName(a);
        return UnsupportedError("ISA path '" + name + "' is not available on this CPU/build (available: " + avail + ")");
      }
      return isa;
    }
  }
  return InvalidArgumentError("unknown ISA path '" + name + "' (expected auto, scalar, avx2, avx512, neon or neon-dot)");
}

std::string DescribeCpuFeatures(const CpuFeatures& cpu) {
  std::ostringstream s;
  s << cpu.arch;
  auto add = [&](bool on, const char* n) { if (on) s << ' ' << n; };
  add(cpu.avx2, "avx2"); add(cpu.fma, "fma"); add(cpu.f16c, "f16c");
  add(cpu.avx512f, "avx512f"); add(cpu.avx512bw, "avx512bw"); add(cpu.avx512vl, "avx512vl");
  add(cpu.avx512vnni, "avx512vnni"); add(cpu.avx512bf16, "avx512bf16"); add(cpu.avxvnni, "avxvnni");
  add(cpu.neon, "neon"); add(cpu.dotprod, "dotprod"); add(cpu.i8mm, "i8mm");
  add(cpu.fp16_arith, "fp16"); add(cpu.sve, "sve"); add(cpu.bf16, "bf16");
  if (!cpu.cpu_model.empty()) s << " (" << cpu.cpu_model << ")";
  return s.str();
}

}  // namespace edgelm
