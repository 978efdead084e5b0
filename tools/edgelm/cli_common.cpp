#include "cli_common.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/thread_pool.h"

namespace edgelm::cli {

void AddEngineFlags(CLI::App* app, EngineFlags& f) {
  app->add_option("-t,--threads", f.threads, "Threads (0 = every available CPU)")->check(CLI::Range(0, 1024));
  app->add_option("--isa", f.isa, "Kernel path: auto, scalar, avx2, avx512, neon, neon-dot");
  app->add_option("--kv-type", f.kv_type, "KV cache element type: f16 or f32")->check(CLI::IsMember({"f16", "f32"}));
  app->add_option("--cpu-mask", f.cpu_mask, "Pin threads to these CPUs, e.g. 0-3,6");
  app->add_option("-b,--batch", f.n_batch, "Most tokens per prefill step")->check(CLI::Range(1, 1 << 16));
}

Result<SessionOptions> ToSessionOptions(const EngineFlags& f) {
  SessionOptions so;
  so.n_threads = f.threads;
  so.isa = f.isa;
  so.n_batch = f.n_batch;
  EDGELM_ASSIGN_OR_RETURN(so.kv_type, ParseKvCacheType(f.kv_type));
  if (!f.cpu_mask.empty()) {
    EDGELM_ASSIGN_OR_RETURN(so.cpu_affinity, ParseCpuList(f.cpu_mask));
  }
  return so;
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
