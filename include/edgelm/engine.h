// The engine's public API: load a GGUF model, open a session, prefill, decode, read
// logits — and what only the engine can know (phase and per-token timestamps, the bytes
// of weights, KV cache and scratch it holds). Bench, eval, telemetry and study use this
// API alone.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "core/status.h"
#include "edgelm/tokenizer.h"

namespace edgelm {

class GgufFile;

enum class KvCacheType { kF16, kF32 };
const char* KvCacheTypeName(KvCacheType t);
Result<KvCacheType> ParseKvCacheType(const std::string& name);  // "f16" | "f32"

struct LoadOptions {
  std::string path;
  // Off (the default): the weights are mapped, not read; each page faults in when a
  // forward pass first uses it, so a load reads nothing it does not need yet and a
  // command that only inspects the model (fit, tokenize) never reads them. On: every
  // weight page is touched during load, so that "loaded" means ready to prefill at full
  // speed and a cold load times the read from storage (edgelm bench's load_ms).
  bool prefault = false;
  // Called with the fraction done (0..1); returning false cancels the load.
  std::function<bool(float fraction)> progress;
};

struct ModelInfo {
  std::string architecture;   // "llama", "qwen2"
  std::string name;           // general.name, or the file stem
  std::string file_type;      // "Q4_K_M", "F16"... from general.file_type, or inferred
  uint32_t n_vocab = 0, n_ctx_train = 0, n_embd = 0, n_layer = 0;
  uint32_t n_head = 0, n_head_kv = 0, head_dim = 0, n_ff = 0;
  float rope_freq_base = 10000.0f, rms_norm_eps = 1e-5f;
  bool tied_embeddings = false;
  uint64_t n_params = 0;       // elements of all weight tensors
  uint64_t weights_bytes = 0;  // sum of tensor bytes as stored
  uint64_t file_bytes = 0;
  double bits_per_weight = 0;  // weights_bytes * 8 / n_params
  // KV cache bytes for n_ctx tokens with the given element type.
  uint64_t KvBytes(uint32_t n_ctx, KvCacheType type) const;
};

struct LoadTimings {
  int64_t start_ns = 0;  // MonotonicNs() when Load() began
  int64_t end_ns = 0;    // model ready to prefill
};

struct SessionOptions {
  uint32_t n_ctx = 0;       // 0: min(training context, 4096)
  int n_threads = 0;        // 0: every available CPU
  uint32_t n_batch = 512;   // most tokens computed in one prefill step
  KvCacheType kv_type = KvCacheType::kF16;
  std::string isa = "auto"; // "auto", "scalar", "avx2", "avx512", "neon", "neon-dot"
  std::vector<int> cpu_affinity;  // pin threads to these CPUs (empty: no pinning)
};

struct MemoryUsage {
  uint64_t weights_bytes = 0;  // mapped weights (not copied)
  uint64_t kv_bytes = 0;       // KV cache allocated for n_ctx
  uint64_t scratch_bytes = 0;  // activations, logits and work buffers
};

// Timestamps (MonotonicNs) of the engine's work, appended as it happens; cleared by
// Session::ClearTimings().
struct PhaseEvent {
  enum Kind { kPrefill, kDecode } kind;
  int64_t start_ns;
  int64_t end_ns;
  uint32_t n_tokens;  // tokens computed in this call
  uint32_t n_past;    // context length before the call
};

class Session;

class Model {
 public:
  static Result<std::unique_ptr<Model>> Load(const LoadOptions& options);
  virtual ~Model() = default;

  virtual const ModelInfo& info() const = 0;
  virtual const Tokenizer& tokenizer() const = 0;
  virtual const LoadTimings& load_timings() const = 0;
  virtual const GgufFile& gguf() const = 0;
  virtual Result<std::unique_ptr<Session>> NewSession(const SessionOptions& options) const = 0;
};

class Session {
 public:
  virtual ~Session() = default;

  // Appends tokens at positions n_past()..n_past()+n-1 and computes them (in steps of
  // n_batch). Logits are kept for the last position, or for every position of this call
  // when all_logits is true. Errors: a token id >= n_vocab, the context overflowing,
  // non-finite activations (names the layer).
  virtual Status Prefill(std::span<const int32_t> tokens, bool all_logits = false) = 0;
  // Appends one token (the single-token decode path) and computes its logits.
  virtual Status Decode(int32_t token) = 0;
  // Logits [n_vocab] of row i of the last Prefill/Decode call; -1 is its last row.
  virtual std::span<const float> Logits(int i = -1) const = 0;
  virtual int n_logit_rows() const = 0;

  virtual uint32_t n_past() const = 0;
  virtual uint32_t n_ctx() const = 0;
  // Forgets positions >= n (keeps a shared prefix, e.g. a multiple-choice context).
  virtual Status TruncateTo(uint32_t n) = 0;
  virtual void Reset() = 0;

  virtual MemoryUsage memory() const = 0;
  virtual const std::vector<PhaseEvent>& events() const = 0;
  virtual void ClearTimings() = 0;
  virtual Isa isa() const = 0;
  virtual int n_threads() const = 0;
  virtual const Model& model() const = 0;
};

}  // namespace edgelm
