// Log-likelihood multiple choice (lm-evaluation-harness semantics, MEASUREMENT.md):
// the score of a choice is the sum of log-probabilities of its continuation tokens given
// its context; `acc` picks the maximum, `acc_norm` the maximum after dividing by the
// continuation's length in bytes. The tokens shared by every choice are evaluated once
// and their KV cache reused (Session::TruncateTo) for each choice.
#pragma once

#include <atomic>
#include <functional>

#include "core/status.h"
#include "edgelm/engine.h"
#include "eval/eval_math.h"
#include "eval/task_data.h"

namespace edgelm {

struct ChoiceEvalOptions {
  SessionOptions session;   // n_ctx 0: the model's training context (at most 4096)
  std::function<void(size_t done, size_t total, double acc)> on_item;
  const std::atomic<bool>* cancel = nullptr;
};

struct ChoiceEvalResult {
  std::string task;
  size_t n = 0;
  size_t correct = 0, correct_norm = 0;
  double acc = 0, acc_norm = 0;
  Interval acc_ci, acc_norm_ci;   // 95% Wilson intervals
  size_t n_evaluated = 0;         // tokens pushed through the model
  double seconds = 0;
  double tokens_per_s = 0;
  bool interrupted = false;
};

// Per-choice log-likelihoods of one item (exposed for tests and side-by-side output).
struct ChoiceScores {
  std::vector<double> log_likelihood;   // sum of log p of each continuation
  std::vector<size_t> n_bytes;          // continuation length in bytes
  std::vector<bool> greedy;             // every continuation token was the argmax
  size_t n_evaluated = 0;
};
Result<ChoiceScores> ScoreItem(Session& session, const Tokenizer& tokenizer, const ChoiceItem& item);

Result<ChoiceEvalResult> EvaluateChoices(const Model& model, const TaskData& task, const ChoiceEvalOptions& options);

struct LambadaResult {
  size_t n = 0, correct = 0;
  double acc = 0;
  Interval acc_ci;
  double ppl = 0;   // perplexity over the target words' tokens
  size_t n_evaluated = 0;
  double seconds = 0, tokens_per_s = 0;
  bool interrupted = false;
};
// LAMBADA: a hit when every token of the last word is the greedy choice.
Result<LambadaResult> EvaluateLambada(const Model& model, const TaskData& task, const ChoiceEvalOptions& options);

}  // namespace edgelm
