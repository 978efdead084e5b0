// IEEE half and bfloat16 conversions (scalar, exact): used by GGUF F16/BF16 tensors,
// quantized block scales, and the F16 KV cache. Rounding is to nearest even, as ggml.
#pragma once

#include <cstdint>
#include <cstring>

namespace edgelm {

inline float BitsToF32(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }
inline uint32_t F32ToBits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }

inline float Fp16ToF32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1F;
  uint32_t mant = h & 0x3FF;
  if (exp == 0) {
    if (mant == 0) return BitsToF32(sign);
    // Subnormal half: normalise.
    int e = -1;
    do { mant <<= 1; ++e; } while ((mant & 0x400) == 0);
    mant &= 0x3FF;
    exp = static_cast<uint32_t>(127 - 15 - e);
    return BitsToF32(sign | (exp << 23) | (mant << 13));
  }
  if (exp == 0x1F) return BitsToF32(sign | 0x7F800000u | (mant << 13));  // inf / NaN
  return BitsToF32(sign | ((exp + 127 - 15) << 23) | (mant << 13));
}

inline uint16_t F32ToFp16(float f) {
  const uint32_t x = F32ToBits(f);
  const uint32_t sign = (x >> 16) & 0x8000;
  const uint32_t abs = x & 0x7FFFFFFF;
  if (abs > 0x7F800000u) return static_cast<uint16_t>(sign | 0x7E00);  // NaN
  if (abs >= 0x477FF000u) return static_cast<uint16_t>(sign | 0x7C00);  // overflow -> inf
  if (abs < 0x38800000u) {
    // Result is subnormal or zero: scale into the subnormal range with rounding.
    if (abs < 0x33000000u) return static_cast<uint16_t>(sign);  // below half the smallest subnormal
    const uint32_t e = abs >> 23;
    const uint32_t m = (abs & 0x7FFFFF) | 0x800000;
    const uint32_t shift = 126 - e;  // 14 + (113 - e)
    uint32_t r = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (r & 1))) ++r;
    return static_cast<uint16_t>(sign | r);
  }
  uint32_t r = abs - 0x38000000u;  // rebias exponent 127 -> 15 (in place)
  const uint32_t rem = r & 0x1FFF;
  r >>= 13;
  if (rem > 0x1000 || (rem == 0x1000 && (r & 1))) ++r;
  return static_cast<uint16_t>(sign | r);
}

inline float Bf16ToF32(uint16_t b) { return BitsToF32(static_cast<uint32_t>(b) << 16); }

inline uint16_t F32ToBf16(float f) {
  uint32_t x = F32ToBits(f);
  if ((x & 0x7FFFFFFF) > 0x7F800000u) return static_cast<uint16_t>((x >> 16) | 0x40);  // quiet NaN
  x += 0x7FFF + ((x >> 16) & 1);  // round to nearest even
  return static_cast<uint16_t>(x >> 16);
}

}  // namespace edgelm
