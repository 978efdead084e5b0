// NEON peak loops (the instructions of src/kernels/arm/): int8 as smull+sadalp (NEON)
// or sdot (dotprod), F32 fmla, F16 as fcvtl+fmla. Compiled with
// -march=armv8.2-a+dotprod+fp16; the dotprod loop is called only when the CPU has it.
#include <arm_neon.h>

#include <cstdint>

#include "probe/probe.h"

namespace edgelm::probe_internal {
namespace {

#define EDGELM_OPAQUE(v) asm volatile("" : "+w"(v))

volatile int32_t g_sink;
volatile float g_sink_f;

uint64_t Int8DotLoop(int64_t iterations) {
  constexpr int kChains = 8;
  int32x4_t acc[kChains];
  for (int k = 0; k < kChains; ++k) acc[k] = vdupq_n_s32(0);
  const int8x16_t a = vdupq_n_s8(3), b = vdupq_n_s8(-2);
  for (int64_t i = 0; i < iterations; ++i) {
    for (int k = 0; k < kChains; ++k) acc[k] = vdotq_s32(acc[k], a, b);
  }
  int32x4_t t = acc[0];
  for (int k = 1; k < kChains; ++k) t = vaddq_s32(t, acc[k]);
  g_sink = vaddvq_s32(t);
  return static_cast<uint64_t>(iterations) * kChains * 16;
}

uint64_t Int8NeonLoop(int64_t iterations) {
  constexpr int kChains = 8;
  int8x16_t a[kChains];
  int32x4_t acc[kChains];
  for (int k = 0; k < kChains; ++k) {
    a[k] = vdupq_n_s8(static_cast<int8_t>(1 + k));
    acc[k] = vdupq_n_s32(0);
  }
  const int8x16_t b = vdupq_n_s8(-3);
  for (int64_t i = 0; i < iterations; ++i) {
    for (int k = 0; k < kChains; ++k) {
      EDGELM_OPAQUE(a[k]);
      const int16x8_t lo = vmull_s8(vget_low_s8(a[k]), vget_low_s8(b));
      const int16x8_t hi = vmull_high_s8(a[k], b);
      acc[k] = vpadalq_s16(vpadalq_s16(acc[k], lo), hi);
    }
  }
  int32x4_t t = acc[0];
  for (int k = 1; k < kChains; ++k) t = vaddq_s32(t, acc[k]);
  g_sink = vaddvq_s32(t);
  return static_cast<uint64_t>(iterations) * kChains * 16;
}

uint64_t F32Loop(int64_t iterations) {
  constexpr int kChains = 12;
  float32x4_t acc[kChains];
  for (int k = 0; k < kChains; ++k) acc[k] = vdupq_n_f32(0.1f * static_cast<float>(k));
  const float32x4_t x = vdupq_n_f32(0.999f), y = vdupq_n_f32(0.001f);
  for (int64_t i = 0; i < iterations; ++i) {
    for (int k = 0; k < kChains; ++k) acc[k] = vfmaq_f32(y, acc[k], x);
  }
  float32x4_t t = acc[0];
  for (int k = 1; k < kChains; ++k) t = vaddq_f32(t, acc[k]);
  g_sink_f = vaddvq_f32(t);
  return static_cast<uint64_t>(iterations) * kChains * 4;
}

uint64_t F16Loop(int64_t iterations) {
  constexpr int kChains = 8;
  float16x4_t h[kChains];
  float32x4_t acc[kChains];
  for (int k = 0; k < kChains; ++k) {
    h[k] = vcvt_f16_f32(vdupq_n_f32(0.01f * static_cast<float>(k + 1)));
    acc[k] = vdupq_n_f32(0.0f);
  }
  float16x4_t g = vcvt_f16_f32(vdupq_n_f32(0.5f));
  for (int64_t i = 0; i < iterations; ++i) {
    for (int k = 0; k < kChains; ++k) {
      EDGELM_OPAQUE(h[k]);
      EDGELM_OPAQUE(g);
      acc[k] = vfmaq_f32(acc[k], vcvt_f32_f16(h[k]), vcvt_f32_f16(g));
    }
  }
  float32x4_t t = acc[0];
  for (int k = 1; k < kChains; ++k) t = vaddq_f32(t, acc[k]);
  g_sink_f = vaddvq_f32(t);
  return static_cast<uint64_t>(iterations) * kChains * 4;
}

}  // namespace

PeakLoop NeonPeakLoop(MacFamily family, bool dotprod) {
  switch (family) {
    case MacFamily::kInt8:
      return dotprod ? PeakLoop{Int8DotLoop, "sdot"} : PeakLoop{Int8NeonLoop, "smull+sadalp"};
    case MacFamily::kF16:
      return {F16Loop, "fcvtl+fmla"};
    case MacFamily::kF32:
      return {F32Loop, "fmla"};
  }
  return {};
}

}  // namespace edgelm::probe_internal
