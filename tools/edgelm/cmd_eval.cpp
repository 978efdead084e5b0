// `edgelm eval`: log-likelihood multiple-choice accuracy (HellaSwag, ARC, PIQA,
// Winogrande, OpenBookQA, SIQA, COPA, CommonsenseQA, BoolQ, MMLU) and LAMBADA. Progress
// with ETA goes to stderr; every task's figures (95% Wilson intervals) go to the results
// store as the task ends, and a Ctrl-C keeps the items that finished.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "cli_quality.h"
#include "command_registry.h"
#include "core/interrupt.h"
#include "eval/choice_eval.h"
#include "eval/quality_record.h"

namespace edgelm::cli {
namespace {

struct EvalFlags {
  std::string model_path;
  std::vector<std::string> tasks;
  std::string data_dir;
  int shots = 5;
  uint32_t n_ctx = 0;
  bool json = false;
  std::string db;
  SessionFlags engine;
};

std::string DefaultDataDir() {
  // The project's shared data when run from a checkout beside ../shared.
  for (const char* dir : {"../shared/data", "shared/data"}) {
    if (std::filesystem::is_directory(dir)) return dir;
  }
  return "";
}

CommandRunner AddEval(CLI::App& root) {
  auto f = std::make_shared<EvalFlags>();
  CLI::App* sub = root.add_subcommand("eval", "Multiple-choice accuracy (acc, acc_norm with 95% intervals) and LAMBADA");
  sub->add_option("-m,--model", f->model_path, "GGUF model file")->required();
  sub->add_option("--task", f->tasks, "Task NAME[:LIMIT], repeatable: hellaswag, arc_easy, arc_challenge, piqa, "
                                      "winogrande, openbook_qa, siqa, copa, commonsense_qa, boolq, mmlu, lambada")
      ->required();
  sub->add_option("--data", f->data_dir, "Data directory laid out like ../shared/data (default: ../shared/data)");
  sub->add_option("--shots", f->shots, "Few-shot examples (MMLU, from its dev split)")->check(CLI::Range(0, 5));
  sub->add_option("-c,--ctx", f->n_ctx, "Context size (0 = the model's, at most 4096)");
  sub->add_flag("--json", f->json, "Print results as JSON");
  AddResultsDbFlag(sub, f->db);
  f->engine.Add(sub, /*with_ctx=*/false);
  return [f]() -> int {
    std::string data_dir = f->data_dir.empty() ? DefaultDataDir() : f->data_dir;
    if (data_dir.empty()) return UsageError("no data directory: pass --data DIR (laid out like ../shared/data)");
    struct Job { std::string name; size_t limit; };
    std::vector<Job> jobs;
    for (const auto& t : f->tasks) {
      Job j{t, 0};
      auto colon = t.find(':');
      if (colon != std::string::npos) {
        j.name = t.substr(0, colon);
        try {
          size_t used = 0;
          j.limit = std::stoul(t.substr(colon + 1), &used);
          if (used != t.size() - colon - 1 || j.limit == 0) throw std::invalid_argument("limit");
        } catch (...) {
          return UsageError("bad --task '" + t + "': expected NAME or NAME:LIMIT with LIMIT > 0");
        }
      }
      const auto& known = KnownTaskNames();
      if (std::find(known.begin(), known.end(), j.name) == known.end()) {
        std::string list;
        for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
        return UsageError("unknown task '" + j.name + "' in --task '" + t + "' (known: " + list + ")");
      }
      jobs.push_back(j);
    }
    ChoiceEvalOptions options;
    auto so = f->engine.ToOptions();
    if (!so.ok()) return ReportError(so.status());
    options.session = *so;
    options.session.n_ctx = f->n_ctx;
    options.cancel = &InstallInterruptHandler();
    // Every task is read before the run begins: a bad name or file is an error with
    // nothing recorded.
    std::vector<TaskData> tasks;
    for (const Job& job : jobs) {
      auto task = LoadTask(data_dir, job.name, f->shots, job.limit);
      if (!task.ok()) return ReportError(task.status());
      tasks.push_back(std::move(*task));
    }
    auto model = LoadModelForCli(f->model_path);
    if (!model.ok()) return ReportError(model.status());
    auto run = BeginQualityRun(f->db, {f->model_path});
    if (!run.ok()) return ReportError(run.status());
    QualityRecorder rec{(*run)->quality.get(), (*run)->run_id, DescribeQualityModel(f->model_path, (*model)->info()),
                        "eval", PrintProgress};
    auto fail = [&](const Status& st) {
      (*run)->Fail();
      return ReportError(st);
    };
    nlohmann::json out = nlohmann::json::array();
    bool interrupted = false;
    for (size_t k = 0; k < jobs.size(); ++k) {
      const Job& job = jobs[k];
      const TaskData* task = &tasks[k];
      nlohmann::json j = {{"task", job.name}, {"model", f->model_path}, {"run_id", (*run)->run_id}};
      if (job.name == "lambada") {
        auto r = EvaluateLambadaRecorded(**model, *task, options, rec);
        if (!r.ok()) return fail(r.status());
        j.update({{"n", r->n}, {"acc", r->acc}, {"acc_ci95", {r->acc_ci.low, r->acc_ci.high}}, {"ppl", r->ppl},
                  {"tokens_per_s", r->tokens_per_s}, {"seconds", r->seconds}, {"interrupted", r->interrupted}});
        interrupted = interrupted || r->interrupted;
        if (!f->json) {
          std::printf("%-15s n=%-6zu acc %.4f [%.4f, %.4f]  ppl %.3f  (%.1f tokens/s)\n", job.name.c_str(), r->n,
                      r->acc, r->acc_ci.low, r->acc_ci.high, r->ppl, r->tokens_per_s);
        }
      } else {
        const int shots = job.name == "mmlu" ? f->shots : 0;
        auto r = EvaluateChoicesRecorded(**model, *task, options, shots, rec);
        if (!r.ok()) return fail(r.status());
        j.update({{"n", r->n}, {"acc", r->acc}, {"acc_ci95", {r->acc_ci.low, r->acc_ci.high}},
                  {"acc_norm", r->acc_norm}, {"acc_norm_ci95", {r->acc_norm_ci.low, r->acc_norm_ci.high}},
                  {"shots", shots}, {"tokens_per_s", r->tokens_per_s},
                  {"seconds", r->seconds}, {"interrupted", r->interrupted}});
        interrupted = interrupted || r->interrupted;
        if (!f->json) {
          std::printf("%-15s n=%-6zu acc %.4f [%.4f, %.4f]  acc_norm %.4f [%.4f, %.4f]  (%.1f tokens/s)\n",
                      job.name.c_str(), r->n, r->acc, r->acc_ci.low, r->acc_ci.high, r->acc_norm,
                      r->acc_norm_ci.low, r->acc_norm_ci.high, r->tokens_per_s);
        }
      }
      out.push_back(j);
      if (interrupted) break;
    }
    if (Status st = (*run)->Finish(interrupted); !st.ok()) return ReportError(st);
    if (f->json) std::printf("%s\n", out.dump(2).c_str());
    return interrupted ? kExitInterrupted : kExitOk;
  };
}

}  // namespace

EDGELM_REGISTER_COMMAND(52, AddEval);

}  // namespace edgelm::cli
