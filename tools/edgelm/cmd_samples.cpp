// `edgelm samples`: the qualitative view — a fixed prompt suite answered by several
// models (or weight types of one model) side by side, as Markdown. Progress per prompt
// with ETA goes to stderr; each answer goes to the results store as it is generated.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "cli_quality.h"
#include "command_registry.h"
#include "core/interrupt.h"
#include "eval/quality_record.h"
#include "eval/samples.h"

namespace edgelm::cli {
namespace {

struct SamplesFlags {
  std::vector<std::string> models;
  std::string prompts_dir;
  std::string out_path;
  std::string json_path;
  std::string chat_template;
  uint64_t seed = 42;
  float temperature = 0.0f;
  std::string db;
  SessionFlags session;
};

std::string DefaultPromptsDir() {
  // The suite ships in the source tree (data/prompts); installed copies can pass --prompts.
  for (const std::string& d : {std::string(EDGELM_SOURCE_DATA_DIR) + "/prompts", std::string("data/prompts")}) {
    if (std::filesystem::is_directory(d)) return d;
  }
  return "";
}

CommandRunner AddSamples(CLI::App& root) {
  auto f = std::make_shared<SamplesFlags>();
  CLI::App* sub = root.add_subcommand(
      "samples", "Answer a fixed prompt suite with several models side by side (Markdown), with generation speed");
  sub->add_option("-m,--model", f->models, "GGUF model (repeat for each model or weight type)")->required();
  sub->add_option("--prompts", f->prompts_dir, "Prompt suite directory (default: the project's data/prompts)");
  sub->add_option("-o,--output", f->out_path, "Write the Markdown here (default: stdout)");
  sub->add_option("--json", f->json_path, "Also write every answer with its timings as JSON");
  sub->add_option("--chat-template", f->chat_template, "Template family override (chatml, llama3, ...)");
  sub->add_option("--seed", f->seed, "Sampling seed (same seed, same answers)");
  sub->add_option("--temp", f->temperature, "Temperature (0 = greedy, the default)")->check(CLI::Range(0.0, 5.0));
  AddResultsDbFlag(sub, f->db);
  f->session.Add(sub);
  return [f]() -> int {
    const std::string dir = f->prompts_dir.empty() ? DefaultPromptsDir() : f->prompts_dir;
    if (dir.empty()) return UsageError("no prompt suite found: pass --prompts DIR");
    auto prompts = LoadPromptSuite(dir);
    if (!prompts.ok()) return ReportError(prompts.status());
    auto so = f->session.ToOptions();
    if (!so.ok()) return UsageError(so.status().message());
    SamplesOptions options;
    options.session = *so;
    options.seed = f->seed;
    options.temperature = f->temperature;
    options.chat_template = f->chat_template;
    options.cancel = &InstallInterruptHandler();
    // Every model is loaded (and checked) before the run begins, one at a time after.
    for (const std::string& path : f->models) {
      if (!std::filesystem::is_regular_file(path)) return ReportError(NotFoundError("model '" + path + "' does not exist"));
    }
    auto run = BeginQualityRun(f->db, f->models);
    if (!run.ok()) return ReportError(run.status());
    std::vector<SampleAnswer> answers;
    const auto t0 = std::chrono::steady_clock::now();
    const size_t n_total = prompts->size() * f->models.size();
    Status store_status = Status::Ok();
    for (const std::string& path : f->models) {
      auto model = LoadModelForCli(path);
      if (!model.ok()) {
        (*run)->Fail();
        return ReportError(model.status());
      }
      const QualityModel qm = DescribeQualityModel(path, (*model)->info());
      const size_t before = answers.size();
      options.on_answer = [&](const SampleAnswer& a, size_t done, size_t) {
        if (store_status.ok()) store_status = (*run)->quality->AddSample((*run)->run_id, SampleFromAnswer(qm, a));
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        char speed[64] = "";
        if (a.decode_tokens_per_s >= 0) std::snprintf(speed, sizeof speed, ", %.1f tokens/s", a.decode_tokens_per_s);
        PrintProgress(qm.label + " " + a.prompt_id + " " +
                      ProgressLine(before + done, n_total,
                                   std::to_string(a.n_generated) + " tokens" + speed, elapsed));
      };
      auto a = GenerateSamples(**model, std::filesystem::path(path).filename().string(), *prompts, options);
      if (!a.ok()) {
        (*run)->Fail();
        return ReportError(a.status());
      }
      answers.insert(answers.end(), a->begin(), a->end());
      if (!store_status.ok()) {
        (*run)->Fail();
        return ReportError(store_status);
      }
      if (InterruptRequested()) break;
    }
    if (Status st = (*run)->Finish(InterruptRequested()); !st.ok()) return ReportError(st);
    const std::string md = SamplesMarkdown(*prompts, answers);
    if (f->out_path.empty()) {
      std::fputs(md.c_str(), stdout);
    } else {
      std::ofstream out(f->out_path);
      out << md;
      if (!out) return ReportError(IoError("cannot write '" + f->out_path + "'"));
    }
    if (!f->json_path.empty()) {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& a : answers) {
        j.push_back({{"model", a.model}, {"prompt", a.prompt_id}, {"format", a.prompt_format}, {"text", a.text},
                     {"stop_reason", a.stop_reason}, {"prompt_tokens", a.n_prompt_tokens},
                     {"generated_tokens", a.n_generated}, {"ttft_ms", a.ttft_ms},
                     {"decode_tokens_per_s", a.decode_tokens_per_s < 0 ? nlohmann::json() : nlohmann::json(a.decode_tokens_per_s)},
                     {"seed", a.seed}});
      }
      std::ofstream out(f->json_path);
      out << j.dump(2) << "\n";
      if (!out) return ReportError(IoError("cannot write '" + f->json_path + "'"));
    }
    return InterruptRequested() ? kExitInterrupted : kExitOk;
  };
}

}  // namespace

EDGELM_REGISTER_COMMAND(53, AddSamples);

}  // namespace edgelm::cli
