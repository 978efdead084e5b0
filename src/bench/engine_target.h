// BenchTarget implemented through the public engine API (include/edgelm/engine.h):
// timings come from the engine's own PhaseEvent timestamps, memory from
// Session::memory(), and requests are tokenized with the model's tokenizer and sampled
// greedily (argmax), so TTFT includes tokenization, prefill and the first sample.
#pragma once

#include <functional>
#include <memory>

#include "bench/bench_target.h"
#include "edgelm/engine.h"

namespace edgelm::bench {

using ModelLoader = std::function<Result<std::unique_ptr<Model>>(const LoadOptions&)>;

class EngineTarget : public BenchTarget {
 public:
  // `loader` is Model::Load in the product (MakeEngineTarget); tests pass their own.
  explicit EngineTarget(ModelLoader loader) : loader_(std::move(loader)) {}
  std::string backend_name() const override { return "CPU"; }
  bool loads_local_files() const override { return true; }
  Result<std::unique_ptr<BenchModel>> Load(const std::string& path) override;

 private:
  ModelLoader loader_;
};

// "llama 260K F32": what llama-bench's model_type column shows.
std::string DescribeModelType(const ModelInfo& info);

// The engine target with Model::Load (defined where the engine library is linked).
std::unique_ptr<BenchTarget> MakeEngineTarget();

}  // namespace edgelm::bench
