// AVX2 peak loops (the instructions of src/kernels/x86/*_avx2.cpp) and the AVX2 read
// loop of the bandwidth probe. Compiled with -mavx2 -mfma -mf16c; called only when the
// CPU has AVX2. The empty asm statements keep loop-invariant operands from being hoisted.
#include <immintrin.h>

#include <cstdint>

#include "probe/probe.h"
#include "probe/probe_read.h"

namespace edgelm::probe_internal {
namespace {

#define EDGELM_OPAQUE(v) asm volatile("" : "+x"(v))

volatile int32_t g_sink;

int32_t Fold(const __m256i* acc, int n) {
  __m256i s = acc[0];
  for (int k = 1; k < n; ++k) s = _mm256_add_epi32(s, acc[k]);
  return _mm256_extract_epi32(s, 0) ^ _mm256_extract_epi32(s, 7);
}

// vpmaddubsw + vpmaddwd + vpaddd: 32 int8 MACs per step, as the block kernels.
uint64_t Int8Loop(int64_t iterations) {
  constexpr int kChains = 8;
  __m256i u[kChains], acc[kChains];
  for (int k = 0; k < kChains; ++k) {
    u[k] = _mm256_set1_epi8(static_cast<char>(1 + k));
    acc[k] = _mm256_setzero_si256();
  }
  const __m256i s = _mm256_set1_epi8(-3), ones = _mm256_set1_epi16(1);
  for (int64_t i = 0; i < iterations; ++i) {
    for (int k = 0; k < kChains; ++k) {
      EDGELM_OPAQUE(u[k]);
      acc[k] = _mm256_add_epi32(acc[k], _mm256_madd_epi16(_mm256_maddubs_epi16(u[k], s), ones));
    }
  }
  g_sink = Fold(acc, kChains);
  return static_cast<uint64_t>(iterations) * kChains * 32;
}

float FoldF(const __m256* acc, int n) {
  __m256 s = acc[0];
  for (int k = 1; k < n; ++k) s = _mm256_add_ps(s, acc[k]);
  return _mm256_cvtss_f32(s);
}

volatile float g_sink_f;

uint64_t F32Loop(int64_t iterations) {
  constexpr int kChains = 10;  // FMA latency 4 x 2 ports, plus slack
  __m256 acc[kChains];
  for (int k = 0; k < kChains; ++k) acc[k] = _mm256_set1_ps(0.1f * static_cast<float>(k));
  const __m256 x = _mm256_set1_ps(0.999f), y = _mm256_set1_ps(0.001f);
  for (int64_t i = 0; i < iterations; ++i) {
    for (int k = 0; k < kChains; ++k) acc[k] = _mm256_fmadd_ps(acc[k], x, y);
  }
  g_sink_f = FoldF(acc, kChains);
  return static_cast<uint64_t>(iterations) * kChains * 8;
}

// vcvtph2ps of weights and activations, then FMA: the F16 kernel's inner loop.
uint64_t F16Loop(int64_t iterations) {
  constexpr int kChains = 8;
  __m128i h[kChains];
  __m256 acc[kChains];
  for (int k = 0; k < kChains; ++k) {
    h[k] = _mm_set1_epi16(static_cast<short>(0x2000 + k));
    acc[k] = _mm256_setzero_ps();
  }
  __m128i g = _mm_set1_epi16(0x3800);
  for (int64_t i = 0; i < iterations; ++i) {
    for (int k = 0; k < kChains; ++k) {
      EDGELM_OPAQUE(h[k]);
      EDGELM_OPAQUE(g);
      acc[k] = _mm256_fmadd_ps(_mm256_cvtph_ps(h[k]), _mm256_cvtph_ps(g), acc[k]);
    }
  }
  g_sink_f = FoldF(acc, kChains);
  return static_cast<uint64_t>(iterations) * kChains * 8;
}

}  // namespace

PeakLoop Avx2PeakLoop(MacFamily family) {
  switch (family) {
    case MacFamily::kInt8:
      return {Int8Loop, "vpmaddubsw+vpmaddwd+vpaddd ymm"};
    case MacFamily::kF16:
      return {F16Loop, "2x vcvtph2ps+vfmadd ymm"};
    case MacFamily::kF32:
      return {F32Loop, "vfmadd231ps ymm"};
  }
  return {};
}

uint64_t ReadBytesAvx2(const uint8_t* p, uint64_t n_bytes) {
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  uint64_t i = 0;
  for (; i + 128 <= n_bytes; i += 128) {
    a0 = _mm256_xor_si256(a0, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i)));
    a1 = _mm256_xor_si256(a1, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 32)));
    a2 = _mm256_xor_si256(a2, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 64)));
    a3 = _mm256_xor_si256(a3, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 96)));
  }
  uint64_t tail = 0;
  for (; i < n_bytes; ++i) tail += p[i];
  const __m256i s = _mm256_xor_si256(_mm256_xor_si256(a0, a1), _mm256_xor_si256(a2, a3));
  return static_cast<uint64_t>(_mm256_extract_epi64(s, 0) ^ _mm256_extract_epi64(s, 3)) + tail;
}

}  // namespace edgelm::probe_internal
