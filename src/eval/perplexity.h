// Perplexity and KL divergence with llama-perplexity semantics (MEASUREMENT.md Quality):
// the text is tokenized once (with BOS when the model adds one), split into chunks of
// n_ctx tokens, each evaluated from an empty context with its first token replaced by
// BOS, and only the second half of each chunk is scored (positions n_ctx/2 .. n_ctx-2
// predicting the next token). Token-normalised.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "edgelm/engine.h"

namespace edgelm {

struct ChunkedEvalOptions {
  uint32_t n_ctx = 512;
  size_t max_chunks = 0;       // 0: every whole chunk of the text
  SessionOptions session;      // threads, ISA, KV type (n_ctx/n_batch are set from n_ctx)
  // Called after each chunk with (chunks done, total, running value).
  std::function<void(size_t done, size_t total, double running)> on_chunk;
  const std::atomic<bool>* cancel = nullptr;  // set (e.g. by SIGINT) to stop after a chunk
};

struct PerplexityResult {
  double ppl = 0;
  double ppl_stderr = 0;      // ppl × stderr of the mean NLL (llama-perplexity's ±)
  double mean_nll = 0;
  size_t n_chunks = 0;
  size_t n_scored = 0;        // predictions scored
  size_t n_evaluated = 0;     // tokens pushed through the model
  double seconds = 0;         // evaluation time (excludes tokenization)
  double tokens_per_s = 0;    // n_evaluated / seconds
  std::vector<double> running_ppl;  // after each chunk
  bool interrupted = false;   // cancel was set: the figures cover the finished chunks
};

// Tokenizes `text` the way llama-perplexity does; errors when it yields fewer than
// 2 × n_ctx tokens.
Result<std::vector<int32_t>> TokenizeForChunks(const Model& model, const std::string& text, uint32_t n_ctx);

Result<PerplexityResult> RunPerplexity(const Model& model, const std::string& text, const ChunkedEvalOptions& options);

struct KldResult {
  double mean = 0, mean_stderr = 0, median = 0, p90 = 0, p99 = 0, max = 0;
  double top1_agreement = 0;   // fraction of positions where both argmaxes agree
  size_t n = 0;                // positions compared
  PerplexityResult base, model;
  bool base_from_file = false; // the base came from --save-base data
  int base_top_k = 0;          // 0: full distributions; else top-k + rest approximation
  bool interrupted = false;
};

// Both models in one pass (needs memory for both).
Result<KldResult> RunKld(const Model& base, const Model& model, const std::string& text,
                         const ChunkedEvalOptions& options);

// Saves the base model's top-k log-probabilities (+ rest mass and the NLL of the actual
// next token) of every scored position, so a small device never needs both models at once.
Status SaveBaseDistributions(const Model& base, const std::string& text, const ChunkedEvalOptions& options,
                             int top_k, const std::string& path);
// KLD of `model` against a file written by SaveBaseDistributions (same text, n_ctx and
// tokenizer: the stored tokens are checked).
Result<KldResult> RunKldFromSaved(const Model& model, const std::string& text, const std::string& saved_path,
                                  const ChunkedEvalOptions& options);

}  // namespace edgelm
