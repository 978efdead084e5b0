#include "cli_common.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/thread_pool.h"

namespace edgelm::cli {

void SessionFlags::Add(CLI::App* cmd, bool with_ctx) {
  if (with_ctx) cmd->add_option("-c,--ctx", n_ctx, "context length in tokens (0: min(training context, 4096))");
  cmd->add_option("-t,--threads", n_threads, "threads (0: every available CPU)")->check(CLI::Range(0, 1024));
  cmd->add_option("-b,--batch", n_batch, "most tokens computed in one prefill step")->check(CLI::Range(1, 1 << 16));
  cmd->add_option("--isa", isa, "kernel path: auto, scalar, avx2, avx512, neon, neon-dot");
  cmd->add_option("--kv-type", kv_type, "KV cache element type: f16 or f32")->check(CLI::IsMember({"f16", "f32"}));
  cmd->add_option("--cpu-mask", cpu_mask, "pin threads to these CPUs, e.g. 0-3,6");
}

Result<SessionOptions> SessionFlags::ToOptions() const {
  SessionOptions so;
  so.n_ctx = n_ctx;
  so.n_threads = n_threads;
  so.n_batch = n_batch;
  so.isa = isa;
  EDGELM_ASSIGN_OR_RETURN(so.kv_type, ParseKvCacheType(kv_type));
  if (!cpu_mask.empty()) {
    EDGELM_ASSIGN_OR_RETURN(so.cpu_affinity, ParseCpuList(cpu_mask));
  }
  return so;
}

void SamplingFlags::Add(CLI::App* cmd) {
  cmd->add_option("--temp", params.temperature, "temperature (0: greedy)");
  cmd->add_option("--top-k", params.top_k, "keep the k most likely tokens (0: off)");
  cmd->add_option("--top-p", params.top_p, "nucleus sampling threshold (1: off)");
  cmd->add_option("--min-p", params.min_p, "drop tokens below min-p times the top probability (0: off)");
  cmd->add_option("--repeat-penalty", params.repeat_penalty, "penalty for repeated tokens (1: off)");
  cmd->add_option("--repeat-last-n", params.repeat_last_n, "tokens the repeat penalty looks back over");
  cmd->add_option("--seed", params.seed, "random seed (runs with the same seed repeat exactly)");
}

bool StderrIsTerminal() { return isatty(STDERR_FILENO) == 1; }

Result<std::unique_ptr<Model>> LoadModelForCli(const std::string& path) {
  LoadOptions lo;
  lo.path = path;
  if (StderrIsTerminal()) {
    lo.progress = [](float fraction) {
      std::fprintf(stderr, "\rloading model: %3d%%", static_cast<int>(fraction * 100));
      if (fraction >= 1.0f) std::fprintf(stderr, "\r                     \r");
      return true;
    };
  }
  auto model = Model::Load(lo);
  if (!model.ok()) return model.status().WithContext("loading '" + path + "'");
  return model;
}

Result<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot open text file '" + path + "'");
  std::ostringstream s;
  s << in.rdbuf();
  if (!in.good() && !in.eof()) return IoError("reading '" + path + "' failed");
  return s.str();
}

}  // namespace edgelm::cli
