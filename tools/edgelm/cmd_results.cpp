// edgelm results: the benchmark results store (list, show, export, compare).
#include <cstdio>
#include <memory>
#include <string>

#include "bench/compare.h"
#include "bench/results_store.h"
#include "bench/writers.h"
#include "command_registry.h"

namespace edgelm::cli {
namespace {

struct ResultsFlags {
  std::string db;
  int64_t id = 0, id_b = 0;
  std::string format = "md";
  std::string out;
  CLI::App *list = nullptr, *show = nullptr, *exp = nullptr, *compare = nullptr;
};

Result<std::unique_ptr<bench::ResultsStore>> OpenStore(const std::string& flag) {
  std::string path = flag;
  if (path.empty()) {
    EDGELM_ASSIGN_OR_RETURN(path, bench::DefaultResultsDbPath());
  }
  return bench::ResultsStore::Open(path);
}

int Run(const ResultsFlags& f) {
  auto store = OpenStore(f.db);
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
  return UsageError("results: give a subcommand: list, show, export or compare");
}

EDGELM_REGISTER_COMMAND(60, [](CLI::App& root) -> CommandRunner {
  auto f = std::make_shared<ResultsFlags>();
  CLI::App* sub = root.add_subcommand("results", "List, show, export and compare stored benchmark runs");
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
  for (CLI::App* s : {f->list, f->show, f->exp, f->compare}) {
    s->add_option("--db", f->db, "Results store");
  }
  return [f] { return Run(*f); };
});

}  // namespace
}  // namespace edgelm::cli
