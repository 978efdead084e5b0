// Flags and helpers shared by the subcommands that load a model and run the engine
// (run, chat, ppl, kld, eval, samples...), so every command spells them the same way.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "edgelm/engine.h"
#include "edgelm/sampler.h"

namespace edgelm::cli {

// Flags every command that opens a session shares.
struct SessionFlags {
  uint32_t n_ctx = 0;          // 0: the command's default (usually min(training context, 4096))
  int n_threads = 0;           // 0: every available CPU
  uint32_t n_batch = 512;
  std::string isa = "auto";
  std::string kv_type = "f16";
  std::string cpu_mask;        // e.g. "0-3" (empty: no pinning)
  // Adds -t/--threads, -b/--batch, --isa, --kv-type, --cpu-mask and, when with_ctx,
  // -c/--ctx (commands whose context is a task setting add their own).
  void Add(CLI::App* cmd, bool with_ctx = true);
  Result<SessionOptions> ToOptions() const;
};

// Sampling flags (llama.cpp's names and defaults).
struct SamplingFlags {
  SamplerParams params;
  void Add(CLI::App* cmd);
};

// Loads a model, printing progress to stderr when it is a terminal.
Result<std::unique_ptr<Model>> LoadModelForCli(const std::string& path);
// Reads a whole text file; the error names the path.
Result<std::string> ReadTextFile(const std::string& path);
// Whether stderr is a terminal (progress lines only then).
bool StderrIsTerminal();

}  // namespace edgelm::cli
