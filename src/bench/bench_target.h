// The narrow interface the benchmark runner measures through. The edgelm engine
// implements it (engine_target.h); another runtime (an HTTP endpoint, another engine)
// can implement it too and be measured by the same runner, statistics and writers.
//
// Goals: only what the runner's tests need — load a model, open a session with the
// sweep's parameters, time a prefill of N synthetic tokens, N single-token decode steps,
// and a text request with a timestamp per generated token; report memory where known.
// Non-goals: sampling strategies, chat templates, correctness of the generated text.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace edgelm::bench {

struct TargetModelInfo {
  std::string filename;                 // base name of the model file (or the endpoint's model id)
  std::string type;                     // "llama 260K F32": architecture, size, weight type
  std::optional<uint64_t> size_bytes;   // weights as stored (llama-bench model_size)
  std::optional<uint64_t> n_params;
};

struct TargetSessionOptions {
  uint32_t n_ctx = 0;          // 0: the backend's default
  int n_threads = 1;
  uint32_t n_batch = 512;
  std::string type_k = "f16";  // KV cache element type
  std::string isa = "auto";
  std::vector<int> cpus;       // pin threads to these CPUs (empty: no pinning)
};

// An interval on the MonotonicNs clock.
struct TimedSpan {
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  int64_t ns() const { return end_ns - start_ns; }
};

// A request as a user sees it: prompt text in, tokens out.
struct RequestTrace {
  int64_t start_ns = 0;               // prompt text in hand (before tokenization)
  std::vector<int64_t> token_ns;      // when each generated token was sampled
  uint32_t n_prompt_tokens = 0;
  std::optional<uint32_t> first_eos_index;  // generation went on past it (fixed length)
  std::string text;                   // the generated text
};

struct MemoryBreakdown {
  std::optional<uint64_t> weights_bytes, kv_bytes, scratch_bytes;
};

class BenchSession {
 public:
  virtual ~BenchSession() = default;
  // Empties the context.
  virtual Status Reset() = 0;
  // Appends n synthetic prompt tokens in one prefill; the span runs from the start of
  // the computation to the logits of the last token being available.
  virtual Result<TimedSpan> Prefill(uint32_t n_tokens) = 0;
  // n single-token decode steps (fixed length: end-of-generation is not checked); the
  // span runs from the start of the first step to the end of the last.
  virtual Result<TimedSpan> Generate(uint32_t n_tokens) = 0;
  // Tokenizes the prompt, prefills it after the current context, then samples n_gen
  // tokens greedily, timestamping each; fixed length (end-of-generation noted, ignored).
  virtual Result<RequestTrace> Request(const std::string& prompt, uint32_t n_gen) = 0;
  virtual MemoryBreakdown memory() const = 0;
  virtual std::string isa() const = 0;  // kernel path in use
  virtual int n_threads() const = 0;
  virtual uint32_t n_ctx() const = 0;
};

class BenchModel {
 public:
  virtual ~BenchModel() = default;
  virtual const TargetModelInfo& info() const = 0;
  // Load time as the backend measured it (file open to ready); absent when it cannot
  // tell, and the runner uses its own wall clock.
  virtual std::optional<double> load_ms() const = 0;
  virtual Result<std::unique_ptr<BenchSession>> NewSession(const TargetSessionOptions& options) const = 0;
};

class BenchTarget {
 public:
  virtual ~BenchTarget() = default;
  virtual std::string backend_name() const = 0;  // llama-bench's "backend" column: "CPU"
  // Whether models are local files whose pages can be dropped for a cold load.
  virtual bool loads_local_files() const = 0;
  virtual Result<std::unique_ptr<BenchModel>> Load(const std::string& path) = 0;
};

}  // namespace edgelm::bench
