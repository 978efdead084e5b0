// Memory fit and roofline prediction: will a model run on a device, at what context, in
// which weight type, and how fast can decode be at most.
//
// Memory = weights + KV cache + scratch + runtime overhead, compared with the device's
// usable memory. Weights are the file's tensor bytes when a file is given, else an
// estimate per weight type from the shape (llama.cpp's type-mixing rules, see
// docs/ANALYSIS.md). KV = 2 (K and V) x n_layer x n_ctx x n_head_kv x head_dim x bytes
// per element. Scratch follows the buffers edgelm's session allocates. The decode
// prediction is a roofline bound (peak bandwidth / bytes read per token), the prefill
// prediction a compute bound (peak FLOP/s / FLOPs per token); both are labelled
// predictions, never measurements.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/device.h"
#include "core/status.h"
#include "edgelm/engine.h"
#include "gguf/gguf_reader.h"
#include "synth/synth.h"

namespace edgelm::analysis {

// Runtime overhead beyond weights, KV and scratch: the edgelm binary and C++ runtime,
// thread stacks actually touched, allocator slack, page tables of the weight mapping.
// An assumption (64 MiB), stated in every report that uses it.
inline constexpr uint64_t kRuntimeOverheadBytes = 64ull << 20;

struct ModelShape {
  SynthShape shape;             // llama/qwen2 hyperparameters (name, n_layer, ...)
  uint32_t head_dim = 0;        // per head; n_embd / n_head unless the file says otherwise
  std::string source;           // "preset qwen2.5-0.5b" or the file path
  // Present when the shape comes from a file: what it stores.
  std::optional<uint64_t> file_weights_bytes;     // sum of tensor bytes
  std::optional<uint64_t> file_token_embd_bytes;  // token_embd.weight bytes
  std::optional<std::string> file_type;           // "Q4_K_M", from general.file_type
};

// A synth preset (src/synth presets from published configs); error lists the presets.
Result<ModelShape> ShapeFromPreset(const std::string& name);
// Hyperparameters and tensor bytes from a parsed GGUF file (llama/qwen2 keys).
Result<ModelShape> ShapeFromGguf(const GgufFile& file);

// The weight types `edgelm fit` compares, as llama.cpp names its file types.
// Bits per weight of the base block formats: F16 16, Q8_0 8.5, Q6_K 6.5625,
// Q5_K 5.5, Q4_K 4.5, Q4_0 4.5; the file's effective figure also counts the mixing.
const std::vector<std::string>& FitWeightTypes();  // F16, Q8_0, Q6_K, Q5_K_M, Q4_K_M, Q4_0

struct WeightEstimate {
  uint64_t weights_bytes = 0;
  uint64_t token_embd_bytes = 0;   // read one row per token in decode (untied models)
  uint64_t parameters = 0;
  double bits_per_weight = 0;      // weights_bytes x 8 / parameters
};
// Estimated tensor bytes of the shape stored as `type` (one of FitWeightTypes()).
Result<WeightEstimate> EstimateWeights(const ModelShape& m, const std::string& type);

uint64_t KvCacheBytes(const ModelShape& m, uint32_t n_ctx, KvCacheType kv_type);
// Activations, logits and work buffers of an edgelm session (n_batch = min(512, n_ctx)).
uint64_t ScratchBytes(const ModelShape& m, uint32_t n_ctx, int n_threads);

struct MemoryBreakdown {
  uint64_t weights_bytes = 0;
  uint64_t kv_bytes = 0;
  uint64_t scratch_bytes = 0;
  uint64_t overhead_bytes = kRuntimeOverheadBytes;
  uint64_t total_bytes() const { return weights_bytes + kv_bytes + scratch_bytes + overhead_bytes; }
};

struct FitOptions {
  uint32_t n_ctx = 4096;
  KvCacheType kv_type = KvCacheType::kF16;
  // Weight type for a shape without a file ("" = Q4_K_M); ignored for files.
  std::string weight_type;
  int n_threads = 4;             // attention scratch is per thread
  std::string power_mode;        // "" = the profile's default; an unknown mode is an error
  uint32_t prefill_tokens = 512; // prompt length of the prefill prediction
};

struct TypeFit {
  std::string type;                  // "Q4_K_M"
  WeightEstimate weights;
  MemoryBreakdown memory;            // at FitOptions::n_ctx
  std::optional<bool> fits;          // absent when the device's usable memory is unknown
  std::optional<uint32_t> max_ctx;   // largest context that fits (0: not even 1 token)
  std::optional<double> predicted_decode_tokens_per_s;  // at position 0
};

struct FitReport {
  std::string model;                 // shape name
  std::string model_source;
  std::string device_id;
  std::string device_name;
  uint32_t n_ctx = 0;
  KvCacheType kv_type = KvCacheType::kF16;
  std::string weight_type;           // the file's type, or the chosen estimate type
  bool weights_from_file = false;    // exact file bytes vs estimate
  MemoryBreakdown memory;
  std::optional<Figure> usable_memory_bytes;
  std::optional<bool> fits;
  std::optional<int64_t> headroom_bytes;  // usable - total (negative: short by)
  // Largest context that fits in usable memory, capped at the training context.
  std::optional<uint32_t> max_ctx;
  bool max_ctx_capped_by_training = false;
  // Roofline predictions (upper bounds from peak figures), absent without the figure.
  std::optional<Figure> memory_bandwidth_bytes_per_s;
  uint64_t decode_bytes_per_token_start = 0;   // weights streamed at position 0
  uint64_t decode_bytes_per_token_full = 0;    // ... plus the KV cache at n_ctx
  std::optional<double> predicted_decode_tokens_per_s_start;
  std::optional<double> predicted_decode_tokens_per_s_full;
  std::optional<Figure> compute_flops_per_s;
  double prefill_flops_per_token = 0;
  std::optional<double> predicted_prefill_tokens_per_s;
  std::vector<TypeFit> types;        // every FitWeightTypes() entry
  std::string power_mode;            // as requested ("" = default)
  PowerFigures power;                // idle and peak watts of that mode, with provenance
  std::vector<std::string> notes;
};

// Errors: n_ctx 0, an unknown weight type, a malformed shape.
Result<FitReport> Fit(const ModelShape& model, const DeviceSpec& device, const FitOptions& options);

// Largest n_ctx in [1, limit] with weights + KV + scratch + overhead <= usable_bytes;
// 0 when even one token does not fit. Monotone in n_ctx, found by bisection.
uint32_t LargestContext(const ModelShape& m, uint64_t weights_bytes, KvCacheType kv_type, int n_threads,
                        uint64_t usable_bytes, uint32_t limit);

// Relative error of a prediction against a measurement: (predicted - measured) / measured.
Result<double> PredictionError(double predicted, double measured);

nlohmann::ordered_json FitReportJson(const FitReport& r);
std::string FitReportText(const FitReport& r);
nlohmann::ordered_json FigureJson(const Figure& f);
// A device's figures (absent ones null), power per mode included, for reports.
nlohmann::ordered_json DeviceSpecJson(const DeviceSpec& d);

}  // namespace edgelm::analysis
