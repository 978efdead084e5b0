// Text generation on top of a session: sample, stream text that is always valid UTF-8,
// stop at end-of-generation tokens, stop strings, a length limit, a full context or an
// interrupt. Used by `run`, `chat`, `samples` and the bench request test.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "edgelm/engine.h"
#include "edgelm/sampler.h"

namespace edgelm {

struct GenerateOptions {
  int n_predict = 128;                     // < 0: until the context is full
  std::vector<std::string> stop_strings;   // text that ends generation (not printed)
  std::function<void(const std::string&)> on_text;  // streamed text, never a split character
  const std::atomic<bool>* cancel = nullptr;        // checked before each token
};

struct GenerateResult {
  std::vector<SampledToken> tokens;  // sampled tokens, including a final end-of-generation token
  std::vector<int64_t> token_ns;     // MonotonicNs() when each token was sampled
  std::string text;                  // what was streamed
  // "eog" (end-of-generation token), "stop" (stop string), "length", "context", "interrupted".
  std::string stop_reason;
  // Whether the last sampled token was fed to the session (false when generation ended
  // on it: an end-of-generation token, the length limit, a stop string, a full context).
  bool last_token_in_cache = false;
};

// Generates from the session's current logits (after a Prefill). Each sampled token is
// accepted by the sampler and, unless generation ends with it, decoded.
Result<GenerateResult> Generate(Session& session, Sampler& sampler, const GenerateOptions& options);

}  // namespace edgelm
