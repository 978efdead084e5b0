// Scalar unpacking of the K-quant sub-block scales, shared by the SIMD paths (the bit
// layouts are the ggml ones, see ../shared/docs/FORMATS.md). Internal linkage on
// purpose: the including files are compiled with different target flags.
#pragma once

#include <cstdint>
#include <cstring>

namespace edgelm {
namespace {

// Q4_K / Q5_K: 12 bytes -> 8 six-bit scales and 8 six-bit mins (one per 32 elements).
// Sub-blocks 0..3 keep scale and min in the low 6 bits of bytes 0..3 and 4..7; 4..7 keep
// their low 4 bits in the nibbles of bytes 8..11 and their top 2 bits in the top bits of
// bytes 0..3 (scales) and 4..7 (mins). Done on 32-bit words, four sub-blocks at a time.
inline void UnpackScaleMinK4(const uint8_t* s, uint8_t* sc, uint8_t* mn) {
  uint32_t w0, w1, w2;
  std::memcpy(&w0, s, 4);
  std::memcpy(&w1, s + 4, 4);
  std::memcpy(&w2, s + 8, 4);
  const uint32_t sc_lo = w0 & 0x3F3F3F3Fu;
  const uint32_t mn_lo = w1 & 0x3F3F3F3Fu;
  const uint32_t sc_hi = (w2 & 0x0F0F0F0Fu) | (((w0 >> 6) & 0x03030303u) << 4);
  const uint32_t mn_hi = ((w2 >> 4) & 0x0F0F0F0Fu) | (((w1 >> 6) & 0x03030303u) << 4);
  std::memcpy(sc, &sc_lo, 4);
  std::memcpy(sc + 4, &sc_hi, 4);
  std::memcpy(mn, &mn_lo, 4);
  std::memcpy(mn + 4, &mn_hi, 4);
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
