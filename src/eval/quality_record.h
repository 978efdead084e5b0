// Quality evaluations that record into the results store as they go: a progress row per
// finished chunk or item (so a killed run keeps what finished), then one figure row per
// metric the moment the evaluation ends, interrupted or not. Also the figures each
// result turns into, with their 95% intervals: Wilson for proportions (acc, acc_norm,
// top-1 agreement, LAMBADA accuracy), normal (value ± 1.96 × standard error) for means
// (perplexity, mean KLD), none for medians and percentiles.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "edgelm/engine.h"
#include "eval/choice_eval.h"
#include "eval/perplexity.h"
#include "eval/quality_store.h"
#include "eval/samples.h"

namespace edgelm {

// The model as a figure names it: file name as label, the weight type and bits per
// weight the loader reports.
QualityModel DescribeQualityModel(const std::string& path, const ModelInfo& info);

// One answer of the prompt suite as the store keeps it (timings absent when not measured).
QualitySample SampleFromAnswer(const QualityModel& model, const SampleAnswer& answer);

// "ctx 256, 100 chunks, token-normalised".
std::string ChunkDetail(uint32_t n_ctx, size_t n_chunks);

std::vector<QualityFigure> PerplexityFigures(const PerplexityResult& r, const std::string& text_name, uint32_t n_ctx);
std::vector<QualityFigure> KldFigures(const KldResult& k, const std::string& text_name, uint32_t n_ctx,
                                      const std::string& base_label);
std::vector<QualityFigure> ChoiceFigures(const ChoiceEvalResult& r, int shots);
std::vector<QualityFigure> LambadaFigures(const LambadaResult& r);

// "[50/200]  25%  acc 0.3100  elapsed 0:12  ETA 0:36".
std::string ProgressLine(size_t done, size_t total, const std::string& value, double elapsed_s);

// Where and about what an evaluation records.
struct QualityRecorder {
  QualityStore* store = nullptr;
  int64_t run_id = 0;
  QualityModel model;
  std::string command;  // "ppl", "kld", "eval", "study"
  // Progress lines with ETA: after every chunk, and for items at most about once a
  // second (and after the first and the last).
  std::function<void(const std::string& line)> on_progress;
};

// Each runs the evaluation of perplexity.h / choice_eval.h with the same options (their
// own callbacks still run), recording progress and, at the end, the figures. A failed
// store write stops nothing that is being measured but is returned at the end.
Result<PerplexityResult> RunPerplexityRecorded(const Model& model, const std::string& text,
                                               const std::string& text_name, ChunkedEvalOptions options,
                                               const QualityRecorder& rec);
// base == nullptr: compares with the distributions saved at base_file.
Result<KldResult> RunKldRecorded(const Model* base, const std::string& base_label, const std::string& base_file,
                                 const Model& model, const std::string& text, const std::string& text_name,
                                 ChunkedEvalOptions options, const QualityRecorder& rec);
Result<ChoiceEvalResult> EvaluateChoicesRecorded(const Model& model, const TaskData& task, ChoiceEvalOptions options,
                                                 int shots, const QualityRecorder& rec);
Result<LambadaResult> EvaluateLambadaRecorded(const Model& model, const TaskData& task, ChoiceEvalOptions options,
                                              const QualityRecorder& rec);

}  // namespace edgelm
