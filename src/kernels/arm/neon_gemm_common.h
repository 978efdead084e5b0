// What the NEON tile kernels (sdot and i8mm) share: row addressing and the loaders that
// turn a Q8_0 or Q4_0 weight block into 32 signed bytes.
#pragma once

#include <arm_neon.h>

#include <cstdint>

#include "kernels/arm/neon_common.h"
#include "kernels/blocks.h"

namespace edgelm {
namespace {

template <class Block>
inline const Block* RowAt(const void* base, uint64_t row_bytes, int i) {
  return reinterpret_cast<const Block*>(static_cast<const uint8_t*>(base) +
                                        row_bytes * static_cast<uint64_t>(i));
}

// The 32 signed weights of a block as elements 0..15 and 16..31.
struct Q8_0Weights {
  using Block = BlockQ8_0;
  static void Load(const Block& w, int8x16_t& lo, int8x16_t& hi) {
    lo = vld1q_s8(w.qs);
    hi = vld1q_s8(w.qs + 16);
  }
};

struct Q4_0Weights {
  using Block = BlockQ4_0;
  static void Load(const Block& w, int8x16_t& lo, int8x16_t& hi) {
    const uint8x16_t q = vld1q_u8(w.qs);
    lo = vsubq_s8(LowNibbles(q), vdupq_n_s8(8));
    hi = vsubq_s8(HighNibbles(q), vdupq_n_s8(8));
  }
};

}  // namespace
}  // namespace edgelm
