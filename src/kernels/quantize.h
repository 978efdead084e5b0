// Reference weight quantizers (used by `synth` and `quantize`) and whole-tensor
// dequantization. Row length must be a multiple of the type's block size.
#pragma once

#include <cstdint>

#include "core/status.h"
#include "gguf/ggml_types.h"

namespace edgelm {

// Whether the engine can compute with (and quantize to) this weight type.
bool IsSupportedWeightType(GgmlType type);

// Quantizes n_rows rows of n_per_row floats into `dst` (n_rows * row bytes). Errors name
// the type and the row length when it is not a block multiple or the type unsupported.
Status QuantizeRows(GgmlType type, const float* src, void* dst, int64_t n_rows, int64_t n_per_row);

// Dequantizes n_rows rows of n_per_row elements into floats.
Status DequantizeRows(GgmlType type, const void* src, float* dst, int64_t n_rows, int64_t n_per_row);

}  // namespace edgelm
