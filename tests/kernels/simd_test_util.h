// Test helpers for the SIMD kernel tests: random weight rows of any supported type,
// activation preparation, and the tolerance rule shared by the vec_dot and MatMul tests.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include <string>

#include "core/cpu_features.h"
#include "core/fp16.h"
#include "gguf/ggml_types.h"
#include "kernels/blocks.h"
#include "kernels/kernel_table.h"

namespace edgelm {

// Prints an ISA parameter by name (gtest and ctest test names show it).
inline void PrintTo(Isa isa, std::ostream* os) { *os << IsaName(isa); }

namespace testing {

// Byte offsets of the f16 scale fields inside one block of `type` (empty for plain
// types): random bytes there could be inf/NaN, so they get random finite scales.
inline std::vector<size_t> HalfFieldOffsets(GgmlType type) {
  switch (type) {
    case GgmlType::kQ4_0: return {offsetof(BlockQ4_0, d)};
    case GgmlType::kQ4_1: return {offsetof(BlockQ4_1, d), offsetof(BlockQ4_1, m)};
    case GgmlType::kQ5_0: return {offsetof(BlockQ5_0, d)};
    case GgmlType::kQ5_1: return {offsetof(BlockQ5_1, d), offsetof(BlockQ5_1, m)};
    case GgmlType::kQ8_0: return {offsetof(BlockQ8_0, d)};
    case GgmlType::kQ2_K: return {offsetof(BlockQ2_K, d), offsetof(BlockQ2_K, dmin)};
    case GgmlType::kQ3_K: return {offsetof(BlockQ3_K, d)};
    case GgmlType::kQ4_K: return {offsetof(BlockQ4_K, d), offsetof(BlockQ4_K, dmin)};
    case GgmlType::kQ5_K: return {offsetof(BlockQ5_K, d), offsetof(BlockQ5_K, dmin)};
    case GgmlType::kQ6_K: return {offsetof(BlockQ6_K, d)};
    default: return {};
  }
}

// `n_rows` random rows of n elements of `type`: every quant bit pattern is possible
// (random bytes), scales are finite halves of either sign.
inline std::vector<uint8_t> RandomRows(GgmlType type, int64_t n, int64_t n_rows, std::mt19937& rng) {
  const GgmlTypeInfo* info = FindGgmlTypeInfo(type);
  const uint64_t row_bytes = *GgmlRowBytes(type, static_cast<uint64_t>(n));
  std::vector<uint8_t> out(row_bytes * static_cast<uint64_t>(n_rows));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_real_distribution<float> scale(-0.02f, 0.02f);
  const int64_t total = n * n_rows;
  if (type == GgmlType::kF32) {
    for (int64_t i = 0; i < total; ++i) {
      const float v = normal(rng);
      std::memcpy(out.data() + 4 * i, &v, 4);
    }
    return out;
  }
  if (type == GgmlType::kF16 || type == GgmlType::kBF16) {
    for (int64_t i = 0; i < total; ++i) {
      const float v = normal(rng);
      const uint16_t h = type == GgmlType::kF16 ? F32ToFp16(v) : F32ToBf16(v);
      std::memcpy(out.data() + 2 * i, &h, 2);
    }
    return out;
  }
  for (auto& b : out) b = static_cast<uint8_t>(byte(rng));
  const auto offsets = HalfFieldOffsets(type);
  for (uint64_t blk = 0; blk < out.size() / info->block_bytes; ++blk) {
    for (size_t off : offsets) {
      const uint16_t h = F32ToFp16(scale(rng));
      std::memcpy(out.data() + blk * info->block_bytes + off, &h, 2);
    }
  }
  return out;
}

inline std::vector<float> RandomFloats(int64_t n, std::mt19937& rng, float sigma = 1.0f) {
  std::normal_distribution<float> normal(0.0f, sigma);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = normal(rng);
  return v;
}

// Prepared activations of one row in `k`'s format (the floats themselves for F32).
inline std::vector<uint8_t> PrepareAct(const TypeKernels& k, const float* x, int64_t n) {
  if (k.act_type == GgmlType::kF32) {
    std::vector<uint8_t> out(static_cast<size_t>(n) * 4);
    std::memcpy(out.data(), x, out.size());
    return out;
  }
  std::vector<uint8_t> out(*GgmlRowBytes(k.act_type, static_cast<uint64_t>(n)));
  k.quantize_act(x, out.data(), n);
  return out;
}

// Tolerance of a dot product of n_terms float partial sums (blocks for quantized types,
// elements for float types) whose magnitudes sum to `abs_bound` (sum |w_i| |x_i|):
// rounding in a different order moves each result by at most a few ulps of the bound
// per level of summation; random-sign sums grow like sqrt(n_terms).
inline double DotTolerance(double abs_bound, int64_t n_terms) {
  const double eps = 1.1920929e-07;  // FLT_EPSILON
  return eps * abs_bound * (8.0 + 4.0 * std::sqrt(static_cast<double>(n_terms))) + 1e-30;
}

// Terms summed in float by the kernels: one per block, or one per element for F32/F16.
inline int64_t FloatTerms(GgmlType type, int64_t n) {
  return n / static_cast<int64_t>(FindGgmlTypeInfo(type)->block_size);
}

// Tests parameterized over every ISA path this CPU runs (AvailableIsas), instantiated
// with the prefix "simd" so that `ctest -R simd` selects them.
class IsaTest : public ::testing::TestWithParam<Isa> {};

inline std::string IsaParamName(const ::testing::TestParamInfo<Isa>& info) {
  std::string name = IsaName(info.param);
  for (char& c : name) {
    if (c == '-') c = '_';  // test names allow only [A-Za-z0-9_]
  }
  return name;
}

}  // namespace testing
}  // namespace edgelm
