// Machine limits for the engine, measured with the engine's own thread pool: the read
// bandwidth of a buffer of a given size (decode streams every weight once per token, so
// its speed limit is bandwidth / weight bytes per token) and the peak multiply-accumulate
// rate of each kernel family per ISA path (prefill reuses weights across tokens, so its
// limit is peak / MACs per token). Together they give the roofline that
// bench/perf_table.sh compares the engine with.
//
// Non-goals: modelling caches or latency; the numbers are what the engine's own kind of
// loop achieves, not vendor peaks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "core/status.h"
#include "core/thread_pool.h"
#include "gguf/ggml_types.h"
#include "gguf/gguf_reader.h"

namespace edgelm {

struct BandwidthResult {
  uint64_t buffer_bytes = 0;
  int n_threads = 0;
  int passes = 0;             // timed passes over the whole buffer
  double best_pass_ns = 0.0;  // the fastest pass, wall time of all threads together
  // Bytes read / time during which at least one thread was reading (1 MiB segments
  // interrupted by the scheduler left out): the median pass, and the best one.
  double bytes_per_s = 0.0;
  double best_bytes_per_s = 0.0;
};

// Reads a buffer of `buffer_bytes` (at least 4 KiB, at most 1 TiB) repeatedly, each
// thread of `pool` its contiguous chunk, for at least `min_seconds` (and at least 3
// passes after one warm-up pass); reports the median pass (and the best). A buffer the size of a
// model's weights measures what decode sees (caches count when it fits them).
Result<BandwidthResult> MeasureReadBandwidth(ThreadPool& pool, uint64_t buffer_bytes,
                                             double min_seconds);

// The arithmetic families the kernels use: int8 dot products (all block-quantized types
// take 8-bit activations), F16 (convert to f32, FMA) and F32 FMA.
enum class MacFamily { kInt8, kF16, kF32 };
const char* MacFamilyName(MacFamily family);
// The family a weight type's matmul runs in on `isa` (from its activation format).
MacFamily MacFamilyForType(GgmlType type);

struct PeakResult {
  Isa isa = Isa::kScalar;
  MacFamily family = MacFamily::kF32;
  int n_threads = 0;
  double macs_per_s = 0.0;  // multiply-accumulates per second, all threads together
  std::string instruction;  // the instruction sequence measured, e.g. "vpdpbusd zmm"
};

// Peak MAC rate of `family` on `isa` with every thread of `pool` running an
// in-register loop of the instructions that path's kernels use (no memory traffic).
// The ISA must be available (IsaAvailable); min_seconds > 0.
Result<PeakResult> MeasurePeakMacs(ThreadPool& pool, Isa isa, MacFamily family, double min_seconds);

// What one token costs a model's matmuls.
struct ModelCost {
  uint64_t weight_bytes_per_token = 0;      // every weight read once; token_embd only one row
  uint64_t macs_per_token = 0;              // 2-D weight elements used in matmuls
  uint64_t parameters = 0;                  // all tensor elements
  GgmlType dominant_type = GgmlType::kF32;  // type holding most matmul weight bytes
  uint64_t dominant_bytes = 0;
};

// From a model file's tensor descriptors (llama-family names): the token embedding
// contributes one row per token unless no output.weight exists (tied embeddings, then it
// is also the output matrix). Attention over the context is not included.
Result<ModelCost> ComputeModelCost(const GgufFile& file);

struct Roofline {
  double decode_tokens_per_s = 0.0;   // bandwidth / weight bytes per token
  double prefill_tokens_per_s = 0.0;  // peak MACs/s / MACs per token
};

// Pure arithmetic; a zero denominator gives 0 (no bound known).
Roofline ComputeRoofline(uint64_t weight_bytes_per_token, uint64_t macs_per_token,
                         double bandwidth_bytes_per_s, double peak_macs_per_s);

// Parses a byte count: plain digits or with a K/M/G/T suffix (powers of 1024, "KiB" and
// "k" spellings accepted), e.g. "256M", "32KiB".
Result<uint64_t> ParseByteCount(const std::string& text);

// Peak loops, one per ISA path; each runs `iterations` of its loop on the calling thread
// and returns the MACs it did. Defined in files compiled with that path's target flags.
namespace probe_internal {
struct PeakLoop {
  uint64_t (*run)(int64_t iterations) = nullptr;
  const char* instruction = "";
};
PeakLoop ScalarPeakLoop(MacFamily family);
#if defined(__x86_64__)
PeakLoop Avx2PeakLoop(MacFamily family);
PeakLoop Avx512PeakLoop(MacFamily family, bool vnni);
#endif
#if defined(__aarch64__)
PeakLoop NeonPeakLoop(MacFamily family, bool dotprod);
#endif
}  // namespace probe_internal

}  // namespace edgelm
