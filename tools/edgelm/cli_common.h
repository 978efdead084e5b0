// Flags and helpers shared by the subcommands that load a model and run the engine
// (run, chat, ppl, kld, eval, samples...), so every command spells them the same way.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "edgelm/engine.h"

namespace edgelm::cli {

struct EngineFlags {
  int threads = 0;             // 0: all available CPUs
  std::string isa = "auto";
  std::string kv_type = "f16";
  std::string cpu_mask;        // e.g. "0-3"
  uint32_t n_batch = 512;
};

// Adds -t/--threads, --isa, --kv-type, --cpu-mask, -b/--batch to `app`.
void AddEngineFlags(CLI::App* app, EngineFlags& flags);
// Converts the flags into session options (n_ctx set by the caller).
Result<SessionOptions> ToSessionOptions(const EngineFlags& flags);
// Loads a model, printing progress to stderr when it is a terminal.
Result<std::unique_ptr<Model>> LoadModelForCli(const std::string& path);
// Reads a whole text file; the error names the path.
Result<std::string> ReadTextFile(const std::string& path);
// Whether stderr is a terminal (progress lines only then).
bool StderrIsTerminal();

}  // namespace edgelm::cli
