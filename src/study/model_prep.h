// The model files a study measures: "synth:PRESET" entries are synthesized (random
// weights, exact shapes) at each requested weight type into the cache; a GGUF path is
// used as it is, or re-quantized into the cache from its F32/F16/BF16 weights when the
// study names weight types. Files already in the cache are reused (synthesis and
// quantization are deterministic); a file is written under a temporary name and renamed
// when complete, so an interrupted study never leaves a truncated model behind.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "gguf/ggml_types.h"
#include "study/study_config.h"

namespace edgelm::study {

struct PreparedModel {
  std::string path;
  std::string label;        // "smollm2-135m Q4_0"
  std::string origin;       // "synth:smollm2-135m", or the source file
  std::string weight_type;  // the type of most matrix elements
  std::optional<double> bits_per_weight;
  bool quality_only = false;  // a quality model: decode tests only
};

Result<std::vector<PreparedModel>> PrepareModels(const StudyConfig& config,
                                                 const std::function<void(const std::string&)>& log,
                                                 const std::atomic<bool>* interrupt);

// Writes `src` quantized to `type` (a QuantizeTarget name: Q8_0, Q4_0, Q4_K_M...) with
// the model layer's quantizer (llama-quantize's tensor rules), under a temporary name
// renamed when complete. A source whose matrices are already quantized is refused.
Status RequantizeFile(const std::string& src, const std::string& dst, const std::string& type, int n_threads);

// Bits per weight (all tensor bytes × 8 / all tensor elements) and the dominant matrix
// type of a GGUF file.
struct FileWeights {
  double bits_per_weight = 0;
  std::string weight_type;
};
Result<FileWeights> DescribeWeights(const std::string& path);

}  // namespace edgelm::study
