#include <filesystem>
#include <fstream>
#include <map>
#include <utility>

#include "eval/quality_store.h"
#include "report/report.h"

namespace edgelm::report {
namespace {

QualityRecord FromFigure(const QualityFigure& f) {
  QualityRecord r;
  r.model_label = f.model.label;
  r.weight_type = f.model.weight_type;
  r.bits_per_weight = f.model.bits_per_weight;
  r.metric = f.metric;
  r.value = f.value;
  r.stderr_value = f.stderr_value;
  r.detail = f.detail;
  if (f.interrupted) r.detail += ", interrupted (covers the finished part)";
  r.reason = f.reason;
  r.task = f.task;
  r.ci_low = f.ci_low;
  r.ci_high = f.ci_high;
  r.ci_method = f.ci_method;
  r.n = f.n;
  r.n_unit = f.n_unit;
  return r;
}

// The answers of a run, the last one of each (model, prompt) (a resumed study answers
// again), in the order first written.
std::vector<SampleRecord> LatestSamples(const std::vector<QualitySample>& samples) {
  std::vector<SampleRecord> out;
  std::map<std::pair<std::string, std::string>, size_t> index;
  for (const QualitySample& s : samples) {
    SampleRecord r{s.model.label, s.model.weight_type, s.prompt_id, s.prompt_format, s.text, s.stop_reason,
                   s.n_generated, s.decode_tokens_per_s, s.ttft_ms};
    auto [it, inserted] = index.try_emplace({s.model.label, s.prompt_id}, out.size());
    if (inserted) {
      out.push_back(std::move(r));
    } else {
      out[it->second] = std::move(r);
    }
  }
  return out;
}

}  // namespace

Result<ReportInput> LoadReportInput(const std::string& db_path, std::optional<int64_t> run_id) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(db_path, ec)) {
    return NotFoundError("results store '" + db_path + "' does not exist (run `edgelm study` or `edgelm bench` first, "
                         "or give --db)");
  }
  EDGELM_ASSIGN_OR_RETURN(auto store, bench::ResultsStore::Open(db_path));
  EDGELM_ASSIGN_OR_RETURN(auto runs, store->ListRuns());
  if (runs.empty()) return NotFoundError("results store '" + db_path + "' holds no runs");
  ReportInput in;
  const bench::RunSummary* chosen = nullptr;
  if (run_id) {
    for (const auto& r : runs) {
      if (r.run_id == *run_id) chosen = &r;
    }
    if (!chosen) {
      return NotFoundError("results store '" + db_path + "' has no run " + std::to_string(*run_id) + " (runs " +
                           std::to_string(runs.front().run_id) + " to " + std::to_string(runs.back().run_id) +
                           "; `edgelm results` lists them)");
    }
  } else {
    chosen = &runs.front();
    for (const auto& r : runs) {
      if (r.run_id > chosen->run_id) chosen = &r;
    }
  }
  in.run = *chosen;
  EDGELM_ASSIGN_OR_RETURN(in.bench, store->LoadRun(chosen->run_id));
  EDGELM_ASSIGN_OR_RETURN(auto study_store, StudyStore::Open(db_path));
  EDGELM_ASSIGN_OR_RETURN(in.study, study_store->Load(chosen->run_id));
  // Quality figures live in the quality tables (eval/quality_store.h), the last one of
  // each model, metric and task; stores written before those tables kept them as study
  // items, which Load() has read above.
  EDGELM_ASSIGN_OR_RETURN(auto quality_store, QualityStore::Open(db_path));
  EDGELM_ASSIGN_OR_RETURN(auto figures, quality_store->LatestFigures(chosen->run_id));
  for (const QualityFigure& f : figures) in.study.quality.push_back(FromFigure(f));
  EDGELM_ASSIGN_OR_RETURN(auto samples, quality_store->Samples(chosen->run_id));
  in.study.samples = LatestSamples(samples);
  return in;
}

Result<ReportFiles> WriteReportFiles(const ReportInput& input, const std::string& html_path) {
  ReportFiles files;
  files.html_path = html_path;
  std::filesystem::path md(html_path);
  md.replace_extension(".md");
  files.markdown_path = md.string();
  if (files.markdown_path == html_path) files.markdown_path += ".md";
  auto write = [](const std::string& path, const std::string& text) -> Status {
    std::error_code ec;
    auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) return IoError("cannot write '" + path + "' (directory missing or not writable?)");
    out << text;
    out.close();
    if (!out) return IoError("writing '" + path + "' failed (disk full?)");
    return Status::Ok();
  };
  EDGELM_RETURN_IF_ERROR(write(files.html_path, RenderHtml(input)));
  EDGELM_RETURN_IF_ERROR(write(files.markdown_path, RenderMarkdown(input)));
  return files;
}

}  // namespace edgelm::report
