// Per-ISA kernel fillers: each overrides the entries of a table (already holding the
// scalar kernels) for which its path has SIMD code. Called only by MakeKernelTable, and
// only after IsaAvailable() said the CPU runs that path; the fillers themselves live in
// files compiled with that path's target flags.
#pragma once

#include "core/cpu_features.h"
#include "kernels/kernel_table.h"

namespace edgelm {

#if defined(__x86_64__)
void FillAvx2Kernels(KernelTable& table);
// Prefill tile kernels matching the AVX2 vec_dot kernels (called by FillAvx2Kernels).
void FillAvx2GemmTiles(KernelTable& table);
// Tile kernels of Q4_K and Q6_K over their AVX2 vec_dot (called by FillAvx2Kernels).
void FillAvx2KQuantTiles(KernelTable& table);
// F16, BF16 and F32 vec_dot and their tile kernels (called by FillAvx2Kernels).
void FillAvx2FloatKernels(KernelTable& table);
// BF16 vec_dot and tile with AVX512_BF16 (called by FillAvx512Kernels when the CPU has it).
void FillAvx512Bf16Kernels(KernelTable& table);
// `cpu` decides between the VNNI (vpdpbusd) and the plain AVX-512BW integer dot products.
void FillAvx512Kernels(KernelTable& table, const CpuFeatures& cpu);
// Prefill tile kernels matching the AVX-512 VNNI vec_dot kernels (called by
// FillAvx512Kernels when the CPU has VNNI).
void FillAvx512GemmTiles(KernelTable& table);
// Q4_K and Q6_K vec_dot, and with VNNI their tile kernels (called by FillAvx512Kernels).
void FillAvx512KQuantKernels(KernelTable& table, const CpuFeatures& cpu);
#endif
#if defined(__aarch64__)
void FillNeonKernels(KernelTable& table);
// `cpu` decides whether the i8mm (smmla) kernels replace the sdot ones for Q8_0/Q4_0.
void FillNeonDotKernels(KernelTable& table, const CpuFeatures& cpu);
// Tile kernels matching the sdot vec_dot kernels of Q8_0 and Q4_0 (called by
// FillNeonDotKernels).
void FillNeonDotGemmTiles(KernelTable& table);
// Q8_0 and Q4_0 vec_dot and tile kernels with smmla (ARMv8.6 i8mm), over the sdot ones;
// only when the CPU reports i8mm.
void FillNeonI8mmKernels(KernelTable& table);
#endif

}  // namespace edgelm
