// Kernel dispatch: decided once per session (the table is stored in the session, never
// in a global), scalar kernels first so that every type has an entry, then the SIMD
// kernels of the chosen path over them. Higher x86/ARM paths build on the lower ones:
// avx512 keeps the avx2 kernel of a type it has no 512-bit version of.
#include "core/status.h"
#include "kernels/matmul.h"
#include "kernels/ref/ref_kernels.h"
#include "kernels/simd_fill.h"

namespace edgelm {

KernelTable MakeKernelTable(Isa isa) {
  const CpuFeatures& cpu = DetectCpuFeatures();
  EDGELM_CHECK_MSG(IsaAvailable(isa, cpu), std::string("MakeKernelTable: ISA path ") +
                                               IsaName(isa) + " is not available on this CPU");
  KernelTable table;
  FillScalarKernels(table);
  switch (isa) {
    case Isa::kScalar:
      break;
#if defined(__x86_64__)
    case Isa::kAvx2:
      FillAvx2Kernels(table);
      break;
    case Isa::kAvx512:
      FillAvx2Kernels(table);
      FillAvx512Kernels(table, cpu);
      break;
#endif
#if defined(__aarch64__)
    case Isa::kNeon:
      FillNeonKernels(table);
      break;
    case Isa::kNeonDot:
      FillNeonKernels(table);
      FillNeonDotKernels(table, cpu);
      break;
#endif
    default:
      EDGELM_CHECK_MSG(false, std::string("MakeKernelTable: no kernels for ISA ") + IsaName(isa));
  }
  table.isa = isa;
  return table;
}

}  // namespace edgelm
