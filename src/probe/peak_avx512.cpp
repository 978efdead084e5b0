// AVX-512 peak loops (the instructions of src/kernels/x86/dot_avx512.cpp): vpdpbusd zmm
// with VNNI, else vpmaddubsw/vpmaddwd zmm; vfmadd231ps zmm. The F16 family keeps the
// AVX2 loop because the engine's avx512 path keeps the AVX2 F16 kernel.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cstdint>

#include "probe/probe.h"

namespace edgelm::probe_internal {
namespace {

#define EDGELM_OPAQUE(v) asm volatile("" : "+v"(v))

volatile int32_t g_sink;
volatile float g_sink_f;

uint64_t Int8VnniLoop(int64_t iterations) {
  constexpr int kChains = 10;
  __m512i acc[kChains];
  for (int k = 0; k < kChains; ++k) acc[k] = _mm512_setzero_si512();
  const __m512i u = _mm512_set1_epi8(3), s = _mm512_set1_epi8(-2);
  for (int64_t i = 0; i < iterations; ++i) {
    for (int k = 0; k < kChains; ++k) acc[k] = _mm512_dpbusd_epi32(acc[k], u, s);
  }
  __m512i t = acc[0];
  for (int k = 1; k < kChains; ++k) t = _mm512_add_epi32(t, acc[k]);
  g_sink = _mm512_reduce_add_epi32(t);
  return static_cast<uint64_t>(iterations) * kChains * 64;
}

uint64_t Int8BwLoop(int64_t iterations) {
  constexpr int kChains = 8;
  __m512i u[kChains], acc[kChains];
  for (int k = 0; k < kChains; ++k) {
    u[k] = _mm512_set1_epi8(static_cast<char>(1 + k));
    acc[k] = _mm512_setzero_si512();
  }
  const __m512i s = _mm512_set1_epi8(-3), ones = _mm512_set1_epi16(1);
  for (int64_t i = 0; i < iterations; ++i) {
    for (int k = 0; k < kChains; ++k) {
      EDGELM_OPAQUE(u[k]);
      acc[k] = _mm512_add_epi32(acc[k], _mm512_madd_epi16(_mm512_maddubs_epi16(u[k], s), ones));
    }
  }
  __m512i t = acc[0];
  for (int k = 1; k < kChains; ++k) t = _mm512_add_epi32(t, acc[k]);
  g_sink = _mm512_reduce_add_epi32(t);
  return static_cast<uint64_t>(iterations) * kChains * 64;
}

uint64_t F32Loop(int64_t iterations) {
  constexpr int kChains = 12;
  __m512 acc[kChains];
  for (int k = 0; k < kChains; ++k) acc[k] = _mm512_set1_ps(0.1f * static_cast<float>(k));
  const __m512 x = _mm512_set1_ps(0.999f), y = _mm512_set1_ps(0.001f);
  for (int64_t i = 0; i < iterations; ++i) {
    for (int k = 0; k < kChains; ++k) acc[k] = _mm512_fmadd_ps(acc[k], x, y);
  }
  __m512 t = acc[0];
  for (int k = 1; k < kChains; ++k) t = _mm512_add_ps(t, acc[k]);
  g_sink_f = _mm512_reduce_add_ps(t);
  return static_cast<uint64_t>(iterations) * kChains * 16;
}

}  // namespace

PeakLoop Avx512PeakLoop(MacFamily family, bool vnni) {
  switch (family) {
    case MacFamily::kInt8:
      return vnni ? PeakLoop{Int8VnniLoop, "vpdpbusd zmm"}
                  : PeakLoop{Int8BwLoop, "vpmaddubsw+vpmaddwd+vpaddd zmm"};
    case MacFamily::kF16:
      return Avx2PeakLoop(MacFamily::kF16);
    case MacFamily::kF32:
      return {F32Loop, "vfmadd231ps zmm"};
  }
  return {};
}

}  // namespace edgelm::probe_internal
