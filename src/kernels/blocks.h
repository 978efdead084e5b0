// Quantized block layouts, bit-exact with ggml (see ../shared/docs/FORMATS.md).
// Each struct is the specification of one on-disk block; the static_asserts pin sizes.
#pragma once

#include <cstdint>

namespace edgelm {

using fp16_t = uint16_t;  // IEEE half, stored raw
using bf16_t = uint16_t;  // upper 16 bits of an IEEE float

inline constexpr int kQK = 32;    // elements per block of the *_0/*_1 and Q8_0 types
inline constexpr int kQK_K = 256; // elements per super-block of the K-quants
inline constexpr int kKScaleBytes = 12;

struct BlockQ4_0 { fp16_t d; uint8_t qs[kQK / 2]; };                     // x = (q - 8) d
struct BlockQ4_1 { fp16_t d; fp16_t m; uint8_t qs[kQK / 2]; };           // x = q d + m
struct BlockQ5_0 { fp16_t d; uint8_t qh[4]; uint8_t qs[kQK / 2]; };      // x = (q - 16) d
struct BlockQ5_1 { fp16_t d; fp16_t m; uint8_t qh[4]; uint8_t qs[kQK / 2]; };
struct BlockQ8_0 { fp16_t d; int8_t qs[kQK]; };                          // x = q d
struct BlockQ8_1 { fp16_t d; fp16_t s; int8_t qs[kQK]; };                // s = d * sum(qs)

struct BlockQ2_K { uint8_t scales[kQK_K / 16]; uint8_t qs[kQK_K / 4]; fp16_t d; fp16_t dmin; };
struct BlockQ3_K { uint8_t hmask[kQK_K / 8]; uint8_t qs[kQK_K / 4]; uint8_t scales[12]; fp16_t d; };
struct BlockQ4_K { fp16_t d; fp16_t dmin; uint8_t scales[kKScaleBytes]; uint8_t qs[kQK_K / 2]; };
struct BlockQ5_K { fp16_t d; fp16_t dmin; uint8_t scales[kKScaleBytes]; uint8_t qh[kQK_K / 8]; uint8_t qs[kQK_K / 2]; };
struct BlockQ6_K { uint8_t ql[kQK_K / 2]; uint8_t qh[kQK_K / 4]; int8_t scales[kQK_K / 16]; fp16_t d; };
// Activations for the K-quant dot products: f32 scale, and sums of 16-element groups.
struct BlockQ8_K { float d; int8_t qs[kQK_K]; int16_t bsums[kQK_K / 16]; };

static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ8_1) == 36);
static_assert(sizeof(BlockQ2_K) == 84);
static_assert(sizeof(BlockQ3_K) == 110);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8_K) == 292);

}  // namespace edgelm
