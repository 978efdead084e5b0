// `edgelm ppl` and `edgelm kld`: perplexity and KL divergence with llama-perplexity
// semantics (src/eval/perplexity.h). Progress per chunk goes to stderr; the figures go to
// the results store (cli_quality.h) as each run ends, interrupted or not.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "cli_quality.h"
#include "command_registry.h"
#include "core/interrupt.h"
#include "eval/perplexity.h"
#include "eval/quality_record.h"

namespace edgelm::cli {
namespace {

struct ChunkFlags {
  std::string text_path;
  uint32_t n_ctx = 512;
  size_t chunks = 0;
  bool json = false;
  std::string db;
  SessionFlags engine;
};

void AddChunkFlags(CLI::App* sub, ChunkFlags& f) {
  sub->add_option("-f,--file", f.text_path, "Text file to evaluate (e.g. wiki.test.raw)")->required();
  sub->add_option("-c,--ctx", f.n_ctx, "Tokens per chunk (the context size)")->check(CLI::Range(4, 1 << 20));
  sub->add_option("--chunks", f.chunks, "Evaluate at most this many chunks (0 = all)");
  sub->add_flag("--json", f.json, "Print the result as JSON");
  AddResultsDbFlag(sub, f.db);
  f.engine.Add(sub, /*with_ctx=*/false);
}

Result<ChunkedEvalOptions> MakeOptions(const ChunkFlags& f) {
  ChunkedEvalOptions o;
  o.n_ctx = f.n_ctx;
  o.max_chunks = f.chunks;
  EDGELM_ASSIGN_OR_RETURN(o.session, f.engine.ToOptions());
  o.cancel = &InstallInterruptHandler();
  return o;
}

nlohmann::json PplJson(const PerplexityResult& r) {
  return {{"ppl", r.ppl},           {"ppl_stderr", r.ppl_stderr}, {"mean_nll", r.mean_nll},
          {"chunks", r.n_chunks},   {"scored_tokens", r.n_scored}, {"evaluated_tokens", r.n_evaluated},
          {"seconds", r.seconds},   {"tokens_per_s", r.tokens_per_s}, {"interrupted", r.interrupted},
          {"normalisation", "token"}};
}

CommandRunner AddPpl(CLI::App& root) {
  auto flags = std::make_shared<ChunkFlags>();
  auto model_path = std::make_shared<std::string>();
  CLI::App* sub = root.add_subcommand(
      "ppl", "Perplexity of a model on a text (llama-perplexity semantics: chunks of --ctx tokens, second half scored)");
  sub->add_option("-m,--model", *model_path, "GGUF model file")->required();
  AddChunkFlags(sub, *flags);
  return [flags, model_path]() -> int {
    auto options = MakeOptions(*flags);
    if (!options.ok()) return ReportError(options.status());
    auto text = ReadTextFile(flags->text_path);
    if (!text.ok()) return ReportError(text.status());
    auto model = LoadModelForCli(*model_path);
    if (!model.ok()) return ReportError(model.status());
    auto run = BeginQualityRun(flags->db, {*model_path});
    if (!run.ok()) return ReportError(run.status());
    QualityRecorder rec{(*run)->quality.get(), (*run)->run_id, DescribeQualityModel(*model_path, (*model)->info()),
                        "ppl", PrintProgress};
    const std::string text_name = std::filesystem::path(flags->text_path).filename().string();
    auto r = RunPerplexityRecorded(**model, *text, text_name, *options, rec);
    if (!r.ok()) {
      (*run)->Fail();
      return ReportError(r.status());
    }
    if (Status st = (*run)->Finish(r->interrupted); !st.ok()) return ReportError(st);
    if (flags->json) {
      nlohmann::json j = PplJson(*r);
      j["model"] = *model_path;
      j["ctx"] = flags->n_ctx;
      j["run_id"] = (*run)->run_id;
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      std::printf("Final estimate: PPL = %.4f +/- %.5f  (%zu chunks of %u tokens, %zu predictions scored, token-normalised)\n",
                  r->ppl, r->ppl_stderr, r->n_chunks, flags->n_ctx, r->n_scored);
      std::printf("evaluated %zu tokens in %.2f s: %.1f tokens/s\n", r->n_evaluated, r->seconds, r->tokens_per_s);
      if (r->interrupted) std::printf("interrupted: the figures cover the %zu finished chunks\n", r->n_chunks);
    }
    return r->interrupted ? kExitInterrupted : kExitOk;
  };
}

CommandRunner AddKld(CLI::App& root) {
  auto flags = std::make_shared<ChunkFlags>();
  auto base_path = std::make_shared<std::string>();
  auto model_path = std::make_shared<std::string>();
  auto save_base = std::make_shared<std::string>();
  auto load_base = std::make_shared<std::string>();
  auto top_k = std::make_shared<int>(64);
  CLI::App* sub = root.add_subcommand(
      "kld", "KL divergence of a model's next-token distributions from a base model's (e.g. Q4_0 vs F16)");
  sub->add_option("--base", *base_path, "Base model (the reference, e.g. F16)");
  sub->add_option("-m,--model", *model_path, "Model to compare with the base");
  sub->add_option("--save-base", *save_base, "Only evaluate --base and save its distributions (top-k + rest) to FILE");
  sub->add_option("--base-file", *load_base, "Compare -m with distributions saved by --save-base");
  sub->add_option("--base-top-k", *top_k, "Tokens kept per position by --save-base (the rest is one bucket)")
      ->check(CLI::Range(1, 1 << 20));
  AddChunkFlags(sub, *flags);
  return [=]() -> int {
    const bool saving = !save_base->empty(), from_file = !load_base->empty();
    if (saving && from_file) return UsageError("--save-base and --base-file exclude each other");
    if (saving && base_path->empty()) return UsageError("--save-base needs --base");
    if (!saving && model_path->empty()) return UsageError("-m/--model is required (or --save-base to only save the base)");
    if (!saving && !from_file && base_path->empty()) return UsageError("give --base BASE (or --base-file FILE)");
    auto options = MakeOptions(*flags);
    if (!options.ok()) return ReportError(options.status());
    auto text = ReadTextFile(flags->text_path);
    if (!text.ok()) return ReportError(text.status());
    if (saving) {
      options->on_chunk = [t0 = std::chrono::steady_clock::now()](size_t done, size_t total, double) {
        PrintProgress("saving base " + ProgressLine(done, total, "",
                                                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()));
      };
      auto base = LoadModelForCli(*base_path);
      if (!base.ok()) return ReportError(base.status());
      Status st = SaveBaseDistributions(**base, *text, *options, *top_k, *save_base);
      if (!st.ok()) return ReportError(st);
      std::printf("saved base distributions (top %d + rest) to %s\n", *top_k, save_base->c_str());
      return kExitOk;
    }
    auto model = LoadModelForCli(*model_path);
    if (!model.ok()) return ReportError(model.status());
    std::unique_ptr<Model> base;
    if (!from_file) {
      auto b = LoadModelForCli(*base_path);
      if (!b.ok()) return ReportError(b.status());
      base = std::move(*b);
    }
    auto run = BeginQualityRun(flags->db, {*model_path, from_file ? std::string() : *base_path});
    if (!run.ok()) return ReportError(run.status());
    QualityRecorder rec{(*run)->quality.get(), (*run)->run_id, DescribeQualityModel(*model_path, (*model)->info()),
                        "kld", PrintProgress};
    const std::string text_name = std::filesystem::path(flags->text_path).filename().string();
    const std::string base_label = std::filesystem::path(from_file ? *load_base : *base_path).filename().string();
    auto r = RunKldRecorded(base.get(), base_label, *load_base, **model, *text, text_name, *options, rec);
    if (!r.ok()) {
      (*run)->Fail();
      return ReportError(r.status());
    }
    if (Status st = (*run)->Finish(r->interrupted); !st.ok()) return ReportError(st);
    const KldResult& k = *r;
    if (flags->json) {
      nlohmann::json j = {{"base", from_file ? *load_base : *base_path}, {"model", *model_path},
                          {"ctx", flags->n_ctx}, {"positions", k.n}, {"kld_mean", k.mean},
                          {"kld_mean_stderr", k.mean_stderr}, {"kld_median", k.median}, {"kld_p90", k.p90},
                          {"kld_p99", k.p99}, {"kld_max", k.max}, {"top1_agreement", k.top1_agreement},
                          {"base_ppl", k.base.ppl}, {"base_ppl_stderr", k.base.ppl_stderr},
                          {"model_ppl", k.model.ppl}, {"model_ppl_stderr", k.model.ppl_stderr},
                          {"base_top_k", k.base_top_k}, {"interrupted", k.interrupted},
                          {"run_id", (*run)->run_id}};
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      std::printf("positions compared: %zu%s\n", k.n,
                  k.base_top_k ? (" (base saved as top-" + std::to_string(k.base_top_k) + " + rest: KLD is a lower bound)").c_str() : "");
      std::printf("KLD mean   %.6f +/- %.6f\n", k.mean, k.mean_stderr);
      std::printf("KLD median %.6f  p90 %.6f  p99 %.6f  max %.6f\n", k.median, k.p90, k.p99, k.max);
      std::printf("top-1 agreement %.2f%%\n", 100.0 * k.top1_agreement);
      std::printf("PPL base  %.4f +/- %.5f\nPPL model %.4f +/- %.5f\n", k.base.ppl, k.base.ppl_stderr, k.model.ppl,
                  k.model.ppl_stderr);
    }
    return k.interrupted ? kExitInterrupted : kExitOk;
  };
}

}  // namespace

EDGELM_REGISTER_COMMAND(50, AddPpl);
EDGELM_REGISTER_COMMAND(51, AddKld);

}  // namespace edgelm::cli
