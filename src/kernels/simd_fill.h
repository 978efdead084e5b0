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
// F16 vec_dot and its tile kernels (called by FillAvx2Kernels).
void FillAvx2F16Kernels(KernelTable& table);
// The larger F16 prefill tile with 32 ymm registers, over the AVX2 F16 kernels.
void FillAvx512F16Tiles(KernelTable& table);
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
void FillNeonDotKernels(KernelTable& table);
#endif

}  // namespace edgelm
