// Scalar peak loops: what the scalar kernels' inner loops can do per thread. The empty
// asm statements make an operand look changed every iteration, so the compiler can
// neither hoist the products out of the loop nor vectorize it.
#include <cstdint>

#include "core/fp16.h"
#include "probe/probe.h"

namespace edgelm::probe_internal {
namespace {

#define EDGELM_OPAQUE(v) asm volatile("" : "+r"(v))

volatile int64_t g_sink_i;
volatile float g_sink_f;

uint64_t Int8Loop(int64_t iterations) {
  int32_t a[8], acc[8] = {};
  for (int k = 0; k < 8; ++k) a[k] = static_cast<int8_t>(3 + k);
  const int32_t b = -7;
  for (int64_t i = 0; i < iterations; ++i) {
    for (int k = 0; k < 8; ++k) {
      EDGELM_OPAQUE(a[k]);
      acc[k] += a[k] * b;
    }
  }
  int64_t s = 0;
  for (int k = 0; k < 8; ++k) s += acc[k];
  g_sink_i = s;
  return static_cast<uint64_t>(iterations) * 8;
}

uint64_t F32Loop(int64_t iterations) {
  float acc[8];
  for (int k = 0; k < 8; ++k) acc[k] = 0.1f * static_cast<float>(k);
  const float x = 0.999f, y = 0.001f;
  for (int64_t i = 0; i < iterations; ++i) {
    for (int k = 0; k < 8; ++k) acc[k] = acc[k] * x + y;
  }
  float s = 0.0f;
  for (int k = 0; k < 8; ++k) s += acc[k];
  g_sink_f = s;
  return static_cast<uint64_t>(iterations) * 8;
}

// As the scalar F16 kernel: both operands converted from half, then multiply-add.
uint64_t F16Loop(int64_t iterations) {
  uint32_t h[8];
  float acc[8] = {};
  for (int k = 0; k < 8; ++k) h[k] = F32ToFp16(0.01f * static_cast<float>(k + 1));
  const uint16_t g = F32ToFp16(0.5f);
  for (int64_t i = 0; i < iterations; ++i) {
    for (int k = 0; k < 8; ++k) {
      EDGELM_OPAQUE(h[k]);
      acc[k] += Fp16ToF32(static_cast<uint16_t>(h[k])) * Fp16ToF32(g);
    }
  }
  float s = 0.0f;
  for (int k = 0; k < 8; ++k) s += acc[k];
  g_sink_f = s;
  return static_cast<uint64_t>(iterations) * 8;
}

}  // namespace

PeakLoop ScalarPeakLoop(MacFamily family) {
  switch (family) {
    case MacFamily::kInt8:
      return {Int8Loop, "imul+add (int32)"};
    case MacFamily::kF16:
      return {F16Loop, "half->float + mul+add"};
    case MacFamily::kF32:
      return {F32Loop, "mulss+addss"};
  }
  return {};
}

}  // namespace edgelm::probe_internal
