// Quantizing a whole model file: which type each tensor gets (the plan), and streaming
// the converted tensors into a new GGUF file. The rules are written out in
// docs/QUANTIZE.md; they follow llama-quantize's defaults so that our Q4_0/Q8_0/Q4_K_S/
// Q5_K_S/Q6_K/Q4_K_M files have the same tensor types as its.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "gguf/ggml_types.h"

namespace edgelm {

class GgufFile;

// A target: a single type or a mix. file_type is llama.cpp's general.file_type value.
struct QuantizeTarget {
  std::string name;         // "Q4_K_M"
  GgmlType base;            // type of most matrices
  uint32_t file_type;
};

// Accepts F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K (= Q4_K_S),
// Q4_K_S, Q4_K_M, Q5_K (= Q5_K_S), Q5_K_S, Q5_K_M, Q6_K (case-insensitive).
Result<QuantizeTarget> ParseQuantizeTarget(const std::string& name);
// The names above, for usage text.
std::string QuantizeTargetNames();

struct TensorPlan {
  std::string name;
  GgmlType from;
  GgmlType to;
  std::string reason;  // why `to` differs from the target's base type ("" when it does not)
};

// Decides every tensor's type. Errors: a matrix that is already quantized (requantizing
// loses quality; quantize from the F32/F16/BF16 file), an unsupported source type.
Result<std::vector<TensorPlan>> PlanQuantization(const GgufFile& input, const QuantizeTarget& target);

struct QuantizeStats {
  uint64_t input_bytes = 0;   // tensor data read
  uint64_t output_bytes = 0;  // tensor data written
  uint64_t file_bytes = 0;    // size of the written file
};

// Writes `output` with the input's metadata (general.file_type and
// general.quantization_version updated) and every tensor converted per the plan,
// tensor by tensor, rows spread over n_threads. progress(done, total) after each tensor.
// `cancel`, checked between tensors, stops the run with kCancelled and removes the
// partial output.
Result<QuantizeStats> QuantizeModelFile(const std::string& input, const std::string& output,
                                        const QuantizeTarget& target, int n_threads,
                                        const std::function<void(size_t, size_t, const TensorPlan&)>& progress = {},
                                        const std::atomic<bool>* cancel = nullptr);

}  // namespace edgelm
