// Scalar unpacking of the K-quant sub-block scales, shared by the SIMD paths (the bit
// layouts are the ggml ones, see ../shared/docs/FORMATS.md). Internal linkage on
// purpose: the including files are compiled with different target flags.
#pragma once

#include <cstdint>
#include <cstring>

namespace edgelm {
namespace {

// Q4_K / Q5_K: 12 bytes -> 8 six-bit scales and 8 six-bit mins (one per 32 elements).
inline void UnpackScaleMinK4(const uint8_t* s, uint8_t* sc, uint8_t* mn) {
  for (int j = 0; j < 4; ++j) {
    sc[j] = s[j] & 63;
    mn[j] = s[j + 4] & 63;
  }
  for (int j = 4; j < 8; ++j) {
    sc[j] = static_cast<uint8_t>((s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4));
    mn[j] = static_cast<uint8_t>((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
  }
}

// Q3_K: 12 bytes -> 16 six-bit scales, stored offset by 32 (one per 16 elements).
// Bytes 0..7 hold the low 4 bits (scales 0..7 low nibbles, 8..15 high nibbles), bytes
// 8..11 the high 2 bits (scale j in byte 8 + j % 4 at bit 2 * (j / 4)).
inline void UnpackScalesQ3K(const uint8_t* s, int8_t* sc) {
  for (int j = 0; j < 16; ++j) {
    const int low = (j < 8) ? (s[j] & 0x0F) : (s[j - 8] >> 4);
    const int high = (s[8 + (j % 4)] >> (2 * (j / 4))) & 3;
    sc[j] = static_cast<int8_t>((low | (high << 4)) - 32);
  }
}

}  // namespace
}  // namespace edgelm
