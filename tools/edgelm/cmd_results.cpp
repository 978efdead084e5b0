// edgelm results: the benchmark results store (list, show, export, compare) and the
// quality figures recorded in it (quality).
#include <cstdio>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "bench/compare.h"
#include "bench/results_store.h"
#include "bench/writers.h"
#include "command_registry.h"
#include "eval/quality_store.h"

namespace edgelm::cli {
namespace {

struct ResultsFlags {
  std::string db;
  int64_t id = 0, id_b = 0;
  std::string format = "md";
  std::string out;
  CLI::App *list = nullptr, *show = nullptr, *exp = nullptr, *compare = nullptr, *quality = nullptr;
};

std::string Num(const std::optional<double>& v, int digits = 4) {
  if (!v) return "-";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", digits, *v);
  return buf;
}

// Quality figures as a Markdown table, and for runs that stopped before writing a
// task's figures, how far that task got.
int ShowQuality(const std::string& db_path, int64_t run_id) {
  auto qs = QualityStore::Open(db_path);
  if (!qs.ok()) return ReportError(qs.status());
  auto figures = (*qs)->Figures(run_id > 0 ? std::optional<int64_t>(run_id) : std::nullopt);
  if (!figures.ok()) return ReportError(figures.status());
  if (!figures->empty()) {
    std::printf("| run | model | type | bpw | task | metric | value | ± se | 95%% interval | method | n | tokens/s | note |\n");
    std::printf("| ---: | --- | --- | ---: | --- | --- | ---: | ---: | --- | --- | ---: | ---: | --- |\n");
  }
  std::set<std::pair<int64_t, std::string>> runs_tasks;
  for (const QualityFigure& f : *figures) {
    runs_tasks.insert({f.run_id, f.model.path + "\n" + f.task});
    std::string note = f.interrupted ? "interrupted" : "";
    if (!f.value) note += (note.empty() ? "" : "; ") + f.reason;
    const std::string ci = f.ci_low && f.ci_high ? "[" + Num(f.ci_low) + ", " + Num(f.ci_high) + "]" : "-";
    std::printf("| %lld | %s | %s | %s | %s | %s | %s | %s | %s | %s | %lld %s | %s | %s |\n",
                static_cast<long long>(f.run_id), f.model.label.c_str(), f.model.weight_type.c_str(),
                Num(f.model.bits_per_weight, 2).c_str(), f.task.c_str(), f.metric.c_str(), Num(f.value).c_str(),
                Num(f.stderr_value).c_str(), ci.c_str(), f.ci_method.c_str(), static_cast<long long>(f.n),
                f.n_unit.c_str(), Num(f.tokens_per_s, 1).c_str(), note.c_str());
  }
  if (run_id > 0) {
    auto samples = (*qs)->Samples(run_id);
    if (!samples.ok()) return ReportError(samples.status());
    if (!samples->empty()) {
      std::printf("\n| model | prompt | format | prompt tokens | generated | stop | TTFT ms | decode tokens/s |\n");
      std::printf("| --- | --- | --- | ---: | ---: | --- | ---: | ---: |\n");
    }
    for (const QualitySample& a : *samples) {
      std::printf("| %s | %s | %s | %d | %d | %s | %s | %s |\n", a.model.label.c_str(), a.prompt_id.c_str(),
                  a.prompt_format.c_str(), a.n_prompt_tokens, a.n_generated, a.stop_reason.c_str(),
                  Num(a.ttft_ms, 1).c_str(), Num(a.decode_tokens_per_s, 1).c_str());
    }
    if (figures->empty() && samples->empty()) {
      std::fprintf(stderr, "edgelm: run %lld has no quality figures or samples in '%s'\n", static_cast<long long>(run_id),
                   db_path.c_str());
    }
  } else if (figures->empty()) {
    std::fprintf(stderr, "edgelm: no quality figures in '%s'\n", db_path.c_str());
  }
  std::set<int64_t> runs;
  for (const auto& rt : runs_tasks) runs.insert(rt.first);
  if (run_id > 0) runs.insert(run_id);
  for (int64_t id : runs) {
    auto progress = (*qs)->LastProgress(id);
    if (!progress.ok()) return ReportError(progress.status());
    for (const QualityProgress& p : *progress) {
      if (runs_tasks.count({id, p.model_path + "\n" + p.task})) continue;
      std::printf("\nrun %lld stopped before its figures for %s on %s: %lld of %lld %ss done, %s %.4f so far\n",
                  static_cast<long long>(id), p.task.c_str(), p.model_path.c_str(), static_cast<long long>(p.done),
                  static_cast<long long>(p.total), p.unit.c_str(), p.running_metric.c_str(), p.running_value);
    }
  }
  return kExitOk;
}

Result<std::unique_ptr<bench::ResultsStore>> OpenStore(const std::string& flag) {
  std::string path = flag;
  if (path.empty()) {
    EDGELM_ASSIGN_OR_RETURN(path, bench::DefaultResultsDbPath());
  }
  return bench::ResultsStore::Open(path);
}

int Run(const ResultsFlags& f) {
  auto store = OpenStore(f.db);
  if (store.ok() && f.quality->parsed()) return ShowQuality((*store)->path(), f.id);
  if (!store.ok()) return ReportError(store.status());
  if (f.list->parsed()) {
    auto runs = (*store)->ListRuns();
    if (!runs.ok()) return ReportError(runs.status());
    std::printf("| run | started | status | done/planned | models | commit | cpu |\n");
    std::printf("| ---: | ------ | ------ | ------: | ------ | ------ | ------ |\n");
    for (const auto& r : *runs) {
      std::printf("| %lld | %s | %s | %d/%d | %s | %s | %s |\n", static_cast<long long>(r.run_id), r.started_at.c_str(),
                  r.status.c_str(), r.n_done, r.n_planned, r.models.c_str(), r.build_commit.c_str(), r.cpu_info.c_str());
    }
    if (runs->empty()) std::fprintf(stderr, "edgelm: the results store '%s' has no runs yet\n", (*store)->path().c_str());
    return kExitOk;
  }
  if (f.show->parsed() || f.exp->parsed()) {
    auto format = bench::ParseOutputFormat(f.show->parsed() ? "md" : f.format);
    if (!format.ok()) return UsageError(format.status().message());
    auto report = (*store)->LoadRun(f.id);
    if (!report.ok()) return ReportError(report.status());
    Status st = bench::WriteReport(*report, *format, f.out);
    if (!st.ok()) return st.code() == StatusCode::kInvalidArgument ? UsageError(st.message()) : ReportError(st);
    return kExitOk;
  }
  if (f.compare->parsed()) {
    auto a = (*store)->LoadRun(f.id);
    if (!a.ok()) return ReportError(a.status());
    auto b = (*store)->LoadRun(f.id_b);
    if (!b.ok()) return ReportError(b.status());
    const bench::Comparison c = bench::CompareReports(*a, *b);
    const std::string text = bench::FormatComparison(*a, *b, c);
    std::fwrite(text.data(), 1, text.size(), stdout);
    if (c.rows.empty()) {
      std::fprintf(stderr, "edgelm: runs %lld and %lld have no configuration in common\n",
                   static_cast<long long>(f.id), static_cast<long long>(f.id_b));
      return kExitFailure;
    }
    return kExitOk;
  }
  return UsageError("results: give a subcommand: list, show, export, compare or quality");
}

EDGELM_REGISTER_COMMAND(60, [](CLI::App& root) -> CommandRunner {
  auto f = std::make_shared<ResultsFlags>();
  CLI::App* sub = root.add_subcommand("results", "List, show, export and compare stored benchmark runs; quality figures");
  sub->add_option("--db", f->db, "Results store (default $XDG_DATA_HOME/edgelm/results.db or ~/.local/share/edgelm/results.db)");
  sub->require_subcommand(1);
  f->list = sub->add_subcommand("list", "List runs: id, date, status, configurations done/planned, models");
  f->show = sub->add_subcommand("show", "Show one run as Markdown tables with its context");
  f->show->add_option("id", f->id, "Run id")->required();
  f->exp = sub->add_subcommand("export", "Write one run in another format");
  f->exp->add_option("id", f->id, "Run id")->required();
  f->exp->add_option("-o,--output-format", f->format, "md | csv | json | jsonl | sqlite");
  f->exp->add_option("--out", f->out, "File to write (default stdout; required for sqlite)");
  f->compare = sub->add_subcommand("compare", "Compare two runs: t/s side by side, ratio B/A, Welch's t-test");
  f->compare->add_option("a", f->id, "Run A")->required();
  f->compare->add_option("b", f->id_b, "Run B")->required();
  f->quality = sub->add_subcommand("quality", "Quality figures (ppl, kld, eval) with their 95% intervals, of one run (and its samples) or all");
  f->quality->add_option("id", f->id, "Run id (default: every run)");
  for (CLI::App* s : {f->list, f->show, f->exp, f->compare, f->quality}) {
    s->add_option("--db", f->db, "Results store");
  }
  return [f] { return Run(*f); };
});

}  // namespace
}  // namespace edgelm::cli
