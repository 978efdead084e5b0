// `edgelm report`: one self-contained HTML file (inline CSS and SVG, no network) and a
// Markdown summary beside it, built from a results store alone.
//
// Order of the report: run context first (what, where, which build, which sensors),
// then one section per question, each a chart with its table beneath: throughput per
// configuration; tokens/J vs tokens/s with the Pareto front; memory vs context length
// against the usable memory; quality vs bits per weight; thread scaling; inter-token
// latency; power over time with phases shaded; cost against cloud APIs; and plain
// recommendations, each naming the measurements it rests on. A figure that was not
// measured is shown absent with its reason, never as 0; estimates say so.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "bench/results_store.h"
#include "core/status.h"
#include "report/study_data.h"

namespace edgelm::report {

struct ReportInput {
  bench::RunSummary run;
  bench::BenchReport bench;  // context and records
  StudyData study;           // empty when the run was a plain `edgelm bench`
};

// The run `run_id`, or the latest run of the store when absent.
Result<ReportInput> LoadReportInput(const std::string& db_path, std::optional<int64_t> run_id);

std::string RenderHtml(const ReportInput& input);
std::string RenderMarkdown(const ReportInput& input);

struct ReportFiles {
  std::string html_path, markdown_path;
};
// Writes the HTML to `html_path` and the Markdown summary beside it (same name, .md).
Result<ReportFiles> WriteReportFiles(const ReportInput& input, const std::string& html_path);

}  // namespace edgelm::report
