// AVX2 kernels defined in one *_avx2.cpp file and installed by FillAvx2Kernels in
// another; also reused by the AVX-512 path for the types it has no 512-bit version of.
#pragma once

#include <cstdint>

namespace edgelm::avx2 {

void QuantizeRowQ8_K(const float* x, void* out, int64_t n);
void VecDotQ2_K(int64_t n, const void* w, const void* a, float* out);
void VecDotQ3_K(int64_t n, const void* w, const void* a, float* out);
void VecDotQ4_K(int64_t n, const void* w, const void* a, float* out);
void VecDotQ5_K(int64_t n, const void* w, const void* a, float* out);
void VecDotQ6_K(int64_t n, const void* w, const void* a, float* out);

}  // namespace edgelm::avx2
