// `edgelm quantize IN OUT TYPE`: converts an F32/F16/BF16 GGUF model into another weight
// type or a mix (Q4_K_M, Q5_K_M...), streaming tensor by tensor. Rules: docs/QUANTIZE.md.
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "command_registry.h"
#include "core/interrupt.h"
#include "core/thread_pool.h"
#include "gguf/gguf_reader.h"
#include "model/quantize_model.h"

namespace edgelm::cli {
namespace {

struct QuantizeOptions {
  std::string input, output, type;
  int n_threads = 0;
  bool dry_run = false;
  bool quiet = false;
};

int RunQuantize(const QuantizeOptions& o) {
  auto target = ParseQuantizeTarget(o.type);
  if (!target.ok()) return UsageError(target.status().message());
  if (o.n_threads < 0) return UsageError("--threads must be >= 0");
  if (o.input == o.output) return UsageError("input and output are the same file");
  const int threads = o.n_threads > 0 ? o.n_threads : AvailableCpuCount();

  if (o.dry_run) {
    auto in = GgufFile::Open(o.input);
    if (!in.ok()) return ReportError(in.status());
    auto plan = PlanQuantization(**in, *target);
    if (!plan.ok()) return ReportError(plan.status());
    for (const TensorPlan& p : *plan) {
      std::printf("%-32s %-6s -> %-6s %s\n", p.name.c_str(), GgmlTypeName(p.from).c_str(), GgmlTypeName(p.to).c_str(),
                  p.reason.c_str());
    }
    return kExitOk;
  }
  std::map<std::string, int> counts;
  auto stats = QuantizeModelFile(o.input, o.output, *target, threads, [&](size_t done, size_t total, const TensorPlan& p) {
    ++counts[GgmlTypeName(p.to)];
    if (!o.quiet) {
      std::fprintf(stderr, "\r[%zu/%zu] %-40s", done, total, p.name.c_str());
      if (done == total) std::fprintf(stderr, "\n");
    }
  }, &InstallInterruptHandler());
  if (!stats.ok()) return ReportError(stats.status());
  std::string mix;
  for (const auto& [type, n] : counts) mix += (mix.empty() ? "" : ", ") + std::to_string(n) + " " + type;
  std::printf("%s: %s, %.2f MiB of tensors -> %.2f MiB (%s); file %.2f MiB\n", o.output.c_str(), target->name.c_str(),
              stats->input_bytes / 1048576.0, stats->output_bytes / 1048576.0, mix.c_str(), stats->file_bytes / 1048576.0);
  return kExitOk;
}

CommandRunner AddQuantize(CLI::App& root) {
  auto o = std::make_shared<QuantizeOptions>();
  CLI::App* cmd = root.add_subcommand("quantize", "Convert an F32/F16/BF16 GGUF model to a quantized type or mix");
  cmd->add_option("input", o->input, "GGUF model with F32, F16 or BF16 matrices")->required();
  cmd->add_option("output", o->output, "GGUF file to write")->required();
  cmd->add_option("type", o->type, "target: " + QuantizeTargetNames())->required();
  cmd->add_option("-t,--threads", o->n_threads, "threads (0: every available CPU)");
  cmd->add_flag("--dry-run", o->dry_run, "print each tensor's planned type and write nothing");
  cmd->add_flag("-q,--quiet", o->quiet, "no progress output");
  return [o]() { return RunQuantize(*o); };
}

EDGELM_REGISTER_COMMAND(60, AddQuantize);

}  // namespace
}  // namespace edgelm::cli
