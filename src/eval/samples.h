// The qualitative view: a fixed suite of prompts (data/prompts) answered by several
// models or weight types with fixed seeds and their chat templates, written side by side
// with each answer's generation speed.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "edgelm/engine.h"

namespace edgelm {

struct SamplePrompt {
  std::string id;         // file stem, e.g. "03-reasoning"
  std::string category;   // "short reasoning"
  std::string system;     // optional system message
  std::string user;       // the user message
  int max_tokens = 128;
};

// Reads every *.txt in dir (sorted): `key: value` header lines, a line `---`, then the
// user message. Errors name the file and line.
Result<std::vector<SamplePrompt>> LoadPromptSuite(const std::string& dir);

struct SampleAnswer {
  std::string model;        // file name
  std::string prompt_id;
  std::string text;
  std::string stop_reason;  // "eog", "length", "stop", "context", "interrupted"
  std::string prompt_format;// chat template family used, or "plain" (no template)
  int n_prompt_tokens = 0;
  int n_generated = 0;
  double ttft_ms = 0;       // prefill of the prompt + first token sampled
  double decode_tokens_per_s = 0;  // excluding the first token; absent (<0) with < 2 tokens
  uint64_t seed = 0;
};

struct SamplesOptions {
  SessionOptions session;
  uint64_t seed = 42;
  float temperature = 0.0f;  // greedy by default: reproducible across runs
  std::string chat_template; // override; empty: detect from the model
  const std::atomic<bool>* cancel = nullptr;
  // Called after each answer with (answer, prompts answered, prompts in the suite).
  std::function<void(const SampleAnswer&, size_t done, size_t total)> on_answer;
};

// Answers every prompt with one model.
Result<std::vector<SampleAnswer>> GenerateSamples(const Model& model, const std::string& model_name,
                                                  const std::vector<SamplePrompt>& prompts,
                                                  const SamplesOptions& options);

// Markdown: one section per prompt, each model's answer under it with its speed.
std::string SamplesMarkdown(const std::vector<SamplePrompt>& prompts, const std::vector<SampleAnswer>& answers);

}  // namespace edgelm
