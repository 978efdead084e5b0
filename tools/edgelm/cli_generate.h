// Shared by `run` and `chat`: the token generation loop (sample, stream text that is
// valid UTF-8, stop at end-of-generation tokens, stop strings, the length limit, a full
// context or Ctrl-C), session flags and the SIGINT flag.
#pragma once

#include <CLI/CLI.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "edgelm/engine.h"
#include "edgelm/sampler.h"

namespace edgelm::cli {

// Flags every command that opens a session shares.
struct SessionFlags {
  uint32_t n_ctx = 0;
  int n_threads = 0;
  uint32_t n_batch = 512;
  std::string isa = "auto";
  std::string kv_type = "f16";
  void Add(CLI::App* cmd);
  Result<SessionOptions> ToOptions() const;
};

// Sampling flags (llama.cpp's names and defaults).
struct SamplingFlags {
  SamplerParams params;
  void Add(CLI::App* cmd);
};

// Installs a SIGINT handler that sets the flag below. one_shot: a second Ctrl-C kills the
// process as usual; otherwise every Ctrl-C only sets the flag (interactive chat).
void InstallInterruptHandler(bool one_shot = true);
bool Interrupted();
void ClearInterrupted();

struct GenerateOptions {
  int n_predict = 128;                     // < 0: until the context is full
  std::vector<std::string> stop_strings;   // text that ends generation (not printed)
  std::function<void(const std::string&)> on_text;  // streamed text, never a split character
};

struct GenerateResult {
  std::vector<SampledToken> tokens;  // sampled tokens, including a final end-of-generation token
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

}  // namespace edgelm::cli
