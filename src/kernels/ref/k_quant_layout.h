// Bit-packing facts of the K-quant super-blocks shared by the dequantizers, the dot
// products and the weight quantizers, so that the packing and the unpacking of each
// layout are written once and tested against each other.
#pragma once

#include <cstdint>

#include "kernels/blocks.h"

namespace edgelm::ref {

// Q4_K / Q5_K: 8 six-bit scales and 8 six-bit mins in 12 bytes. Sub-blocks 0..3 keep
// their scale in the low 6 bits of bytes 0..3 and their min in the low 6 bits of bytes
// 4..7; sub-blocks 4..7 keep the low 4 bits of scale and min in the two nibbles of bytes
// 8..11 and their top 2 bits in the spare top bits of bytes 0..3 (scale) and 4..7 (min).
inline void GetScaleMinK4(int j, const uint8_t* q, uint8_t* scale, uint8_t* min) {
  if (j < 4) {
    *scale = q[j] & 63;
    *min = q[j + 4] & 63;
  } else {
    *scale = static_cast<uint8_t>((q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4));
    *min = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

// Inverse of GetScaleMinK4 for all 8 sub-blocks; scale and min values in [0, 63].
inline void PackScaleMinK4(const uint8_t scale[8], const uint8_t min[8], uint8_t* q) {
  for (int j = 0; j < kKScaleBytes; ++j) q[j] = 0;
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      q[j] |= scale[j];
      q[j + 4] |= min[j];
    } else {
      q[j + 4] = static_cast<uint8_t>((scale[j] & 0x0F) | ((min[j] & 0x0F) << 4));
      q[j - 4] |= static_cast<uint8_t>((scale[j] >> 4) << 6);
      q[j] |= static_cast<uint8_t>((min[j] >> 4) << 6);
    }
  }
}

// Q3_K: 16 six-bit scales stored with an offset of 32. Scale j has its low 4 bits in the
// low (j < 8) or high (j >= 8) nibble of byte j % 8, and its top 2 bits in byte 8 + j % 4
// at bit position 2 * (j / 4). Returns the signed scale in [-32, 31].
inline int GetScaleQ3K(int j, const uint8_t* q) {
  const int low = j < 8 ? (q[j] & 0x0F) : (q[j - 8] >> 4);
  const int high = (q[8 + j % 4] >> (2 * (j / 4))) & 3;
  return (low | (high << 4)) - 32;
}

// Inverse of GetScaleQ3K; each scale in [-32, 31].
inline void PackScalesQ3K(const int scale[16], uint8_t* q) {
  for (int j = 0; j < 12; ++j) q[j] = 0;
  for (int j = 0; j < 16; ++j) {
    const int biased = scale[j] + 32;
    if (j < 8) {
      q[j] |= static_cast<uint8_t>(biased & 0x0F);
    } else {
      q[j - 8] |= static_cast<uint8_t>((biased & 0x0F) << 4);
    }
    q[8 + j % 4] |= static_cast<uint8_t>((biased >> 4) << (2 * (j / 4)));
  }
}

// Element layouts (i the element index within a 256-element super-block):
//  Q2_K: 2-bit code at qs[32 * (i / 128) + i % 32] >> (2 * ((i % 128) / 32)); scale/min
//        nibble pair scales[i / 16].
//  Q3_K: low 2 bits as Q2_K; the 3rd bit is bit i / 32 of hmask[i % 32] (set: code as is,
//        clear: code - 4), so the value is d * scale(i / 16) * (code - 4 * !hbit).
//  Q4_K: nibble of qs[32 * (i / 64) + i % 32], low for (i % 64) < 32, else high.
//  Q5_K: as Q4_K plus the 5th bit = bit i / 32 of qh[i % 32].
//  Q6_K: low nibble from ql[64 * (i / 128) + i % 64] (low nibble for (i % 128) < 64,
//        else high), top 2 bits from qh[32 * (i / 128) + i % 32] >> (2 * ((i % 128) / 32)),
//        value d * scales[i / 16] * (code - 32).
inline int CodeQ2K(const BlockQ2_K& b, int i) {
  return (b.qs[32 * (i / 128) + i % 32] >> (2 * ((i % 128) / 32))) & 3;
}
inline int CodeQ3K(const BlockQ3_K& b, int i) {  // in [-4, 3]
  const int low = (b.qs[32 * (i / 128) + i % 32] >> (2 * ((i % 128) / 32))) & 3;
  const bool high = (b.hmask[i % 32] >> (i / 32)) & 1;
  return high ? low : low - 4;
}
inline int CodeQ4K(const BlockQ4_K& b, int i) {
  const uint8_t byte = b.qs[32 * (i / 64) + i % 32];
  return (i % 64) < 32 ? (byte & 0x0F) : (byte >> 4);
}
inline int CodeQ5K(const BlockQ5_K& b, int i) {
  const uint8_t byte = b.qs[32 * (i / 64) + i % 32];
  const int low = (i % 64) < 32 ? (byte & 0x0F) : (byte >> 4);
  return low | (((b.qh[i % 32] >> (i / 32)) & 1) << 4);
}
inline int CodeQ6K(const BlockQ6_K& b, int i) {  // in [-32, 31]
  const uint8_t lbyte = b.ql[64 * (i / 128) + i % 64];
  const int low = (i % 128) < 64 ? (lbyte & 0x0F) : (lbyte >> 4);
  const int high = (b.qh[32 * (i / 128) + i % 32] >> (2 * ((i % 128) / 32))) & 3;
  return (low | (high << 4)) - 32;
}

}  // namespace edgelm::ref
