// Helpers shared by the NEON (baseline aarch64) and dot-product kernel files. The integer
// kernels are templates over a `Dot` policy (int8 x int8 -> int32x4 accumulation): plain
// NEON widens with vmull/vpadal, the dot-product extension uses vdotq_s32. Internal
// linkage throughout: each including file is compiled with different target flags.
#pragma once

#include <arm_neon.h>

#include <cstdint>
#include <cstring>

namespace edgelm {
namespace {

inline float HalfToFloat(uint16_t h) {
  __fp16 f;
  std::memcpy(&f, &h, 2);
  return static_cast<float>(f);  // fcvt: exact, part of baseline aarch64
}

inline uint16_t FloatToHalf(float v) {
  const __fp16 f = static_cast<__fp16>(v);  // round to nearest even (default FPCR)
  uint16_t h;
  std::memcpy(&h, &f, 2);
  return h;
}

// Baseline aarch64: 8x8 -> 16-bit products, pairwise-accumulated into 32 bits. Each
// product is at most 128 * 127 in magnitude (activations never reach -128), so the 16-bit
// intermediates cannot overflow.
struct PlainDot {
  static inline int32x4_t Dot(int32x4_t acc, int8x16_t x, int8x16_t y) {
    acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(x), vget_low_s8(y)));
    return vpadalq_s16(acc, vmull_high_s8(x, y));
  }
};

// 16 bytes of 4-bit pairs -> low nibbles, high nibbles.
inline int8x16_t LowNibbles(uint8x16_t q) { return vreinterpretq_s8_u8(vandq_u8(q, vdupq_n_u8(0x0F))); }
inline int8x16_t HighNibbles(uint8x16_t q) { return vreinterpretq_s8_u8(vshrq_n_u8(q, 4)); }

// Bits 0..15 (or 16..31) of a 32-bit little-endian mask as 16 bytes of `value` or 0.
inline uint8x16_t BitsToBytes16(const uint8_t* bits2, uint8_t value) {
  const uint8x16_t bytes = vcombine_u8(vdup_n_u8(bits2[0]), vdup_n_u8(bits2[1]));
  static const uint8_t kBit[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
  return vandq_u8(vtstq_u8(bytes, vld1q_u8(kBit)), vdupq_n_u8(value));
}

}  // namespace
}  // namespace edgelm
