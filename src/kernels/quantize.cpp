// Whole-tensor quantization and dequantization for `quantize`, `synth` and the model
// loader. Validates what the row functions take for granted (type, block multiple,
// finite input) and then runs them row by row.
#include "kernels/quantize.h"

#include <cmath>
#include <string>

#include "kernels/quantize_k.h"
#include "kernels/ref/ref_rows.h"

namespace edgelm {
namespace {

using QuantizeFn = void (*)(const float* x, void* out, int64_t n);
using DequantizeFn = void (*)(const void* row, float* out, int64_t n);

struct WeightCodec {
  GgmlType type;
  QuantizeFn quantize;
  DequantizeFn dequantize;
};

// The engine's weight types. The *_0/*_1 quantizers are ggml's deterministic reference
// ones; the K-quant quantizers search per sub-block scales and mins (quantize_k.cpp).
constexpr WeightCodec kCodecs[] = {
    {GgmlType::kF32, ref::ConvertRowF32, ref::DequantizeRowF32},
    {GgmlType::kF16, ref::ConvertRowF16, ref::DequantizeRowF16},
    {GgmlType::kBF16, ref::ConvertRowBF16, ref::DequantizeRowBF16},
    {GgmlType::kQ4_0, ref::QuantizeRowQ4_0, ref::DequantizeRowQ4_0},
    {GgmlType::kQ4_1, ref::QuantizeRowQ4_1, ref::DequantizeRowQ4_1},
    {GgmlType::kQ5_0, ref::QuantizeRowQ5_0, ref::DequantizeRowQ5_0},
    {GgmlType::kQ5_1, ref::QuantizeRowQ5_1, ref::DequantizeRowQ5_1},
    {GgmlType::kQ8_0, ref::QuantizeRowQ8_0, ref::DequantizeRowQ8_0},
    {GgmlType::kQ2_K, QuantizeRowQ2_KWeights, ref::DequantizeRowQ2_K},
    {GgmlType::kQ3_K, QuantizeRowQ3_KWeights, ref::DequantizeRowQ3_K},
    {GgmlType::kQ4_K, QuantizeRowQ4_KWeights, ref::DequantizeRowQ4_K},
    {GgmlType::kQ5_K, QuantizeRowQ5_KWeights, ref::DequantizeRowQ5_K},
    {GgmlType::kQ6_K, QuantizeRowQ6_KWeights, ref::DequantizeRowQ6_K},
};

const WeightCodec* FindCodec(GgmlType type) {
  for (const WeightCodec& c : kCodecs) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

// Checks the type and shape shared by both directions; returns the bytes of one row.
Result<uint64_t> CheckShape(const char* what, GgmlType type, int64_t n_rows, int64_t n_per_row,
                            const WeightCodec** codec) {
  const std::string name = GgmlTypeName(type);
  *codec = FindCodec(type);
  if (*codec == nullptr) {
    return UnsupportedError(std::string("cannot ") + what + " type " + name +
                            ": the engine supports F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, "
                            "Q2_K, Q3_K, Q4_K, Q5_K and Q6_K");
  }
  if (n_rows < 0 || n_per_row <= 0) {
    return InvalidArgumentError(std::string("cannot ") + what + " " + name +
                                ": expected n_rows >= 0 and " +
                                "n_per_row > 0, found n_rows = " + std::to_string(n_rows) +
                                ", n_per_row = " + std::to_string(n_per_row));
  }
  const GgmlTypeInfo* info = FindGgmlTypeInfo(type);
  const auto row_bytes = GgmlRowBytes(type, static_cast<uint64_t>(n_per_row));
  if (!row_bytes) {
    return InvalidArgumentError(std::string("cannot ") + what + " " + name + ": row length " +
                                std::to_string(n_per_row) + " is not a multiple of the " + name +
                                " block size " + std::to_string(info->block_size) +
                                " (pick a type whose block divides the row, e.g. Q8_0 or F16)");
  }
  return *row_bytes;
}

}  // namespace

bool IsSupportedWeightType(GgmlType type) { return FindCodec(type) != nullptr; }

Status QuantizeRows(GgmlType type, const float* src, void* dst, int64_t n_rows, int64_t n_per_row) {
  const WeightCodec* codec = nullptr;
  EDGELM_ASSIGN_OR_RETURN(const uint64_t row_bytes,
                          CheckShape("quantize to", type, n_rows, n_per_row, &codec));
  if (n_rows == 0) return Status::Ok();
  EDGELM_CHECK(src != nullptr && dst != nullptr);
  // F16 values and the fp16 block scales of the quantized types overflow beyond the
  // largest half (scales are at most the block's magnitude); F32/BF16 hold any finite value.
  const bool fp16_limited = type != GgmlType::kF32 && type != GgmlType::kBF16;
  constexpr float kMaxHalf = 65504.0f;
  for (int64_t r = 0; r < n_rows; ++r) {
    const float* x = src + r * n_per_row;
    // A NaN, infinity or overflow would poison a whole block; say where it is instead.
    for (int64_t i = 0; i < n_per_row; ++i) {
      if (!std::isfinite(x[i]) || (fp16_limited && std::fabs(x[i]) > kMaxHalf)) {
        return InvalidArgumentError(
            "cannot quantize to " + GgmlTypeName(type) + ": element " + std::to_string(i) +
            " of row " + std::to_string(r) + " is " + std::to_string(x[i]) +
            ", expected a finite value" +
            (fp16_limited ? " within +-65504 (the fp16 range of its scales)" : std::string()) +
            " (a diverged or corrupt source tensor?)");
      }
    }
    codec->quantize(x, static_cast<uint8_t*>(dst) + static_cast<uint64_t>(r) * row_bytes,
                    n_per_row);
  }
  return Status::Ok();
}

Status DequantizeRows(GgmlType type, const void* src, float* dst, int64_t n_rows,
                      int64_t n_per_row) {
  const WeightCodec* codec = nullptr;
  EDGELM_ASSIGN_OR_RETURN(const uint64_t row_bytes,
                          CheckShape("dequantize", type, n_rows, n_per_row, &codec));
  if (n_rows == 0) return Status::Ok();
  EDGELM_CHECK(src != nullptr && dst != nullptr);
  for (int64_t r = 0; r < n_rows; ++r) {
    codec->dequantize(static_cast<const uint8_t*>(src) + static_cast<uint64_t>(r) * row_bytes,
                      dst + r * n_per_row, n_per_row);
  }
  return Status::Ok();
}

}  // namespace edgelm
