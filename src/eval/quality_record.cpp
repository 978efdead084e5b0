#include "eval/quality_record.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "core/clock.h"

namespace edgelm {
namespace {

constexpr double kZ95 = 1.959963984540054;

QualityFigure Base(const std::string& metric, const std::string& task, int64_t n, const std::string& n_unit,
                   const std::string& detail, double seconds, double tokens_per_s, bool interrupted) {
  QualityFigure f;
  f.metric = metric;
  f.task = task;
  f.n = n;
  f.n_unit = n_unit;
  f.detail = detail;
  if (seconds > 0) {
    f.seconds = seconds;
    f.tokens_per_s = tokens_per_s;
  }
  f.interrupted = interrupted;
  return f;
}

// A value with no measurement behind it (0 items or positions) is absent, never 0.
void SetProportion(QualityFigure& f, size_t successes, size_t n) {
  if (n == 0) {
    f.reason = "nothing was evaluated (interrupted before the first item?)";
    return;
  }
  f.value = static_cast<double>(successes) / static_cast<double>(n);
  f.stderr_value = std::sqrt(*f.value * (1 - *f.value) / static_cast<double>(n));
  const Interval ci = WilsonInterval(successes, n);
  f.ci_low = ci.low;
  f.ci_high = ci.high;
  f.ci_method = kIntervalWilson;
}

void SetMean(QualityFigure& f, double value, double stderr_value, size_t n, double floor) {
  if (n == 0) {
    f.reason = "nothing was evaluated (interrupted before the first chunk?)";
    return;
  }
  f.value = value;
  if (n >= 2) {
    f.stderr_value = stderr_value;
    f.ci_low = std::max(floor, value - kZ95 * stderr_value);
    f.ci_high = value + kZ95 * stderr_value;
    f.ci_method = kIntervalNormal;
  }
}

void SetPlain(QualityFigure& f, double value, size_t n) {
  if (n == 0) {
    f.reason = "nothing was evaluated (interrupted before the first chunk?)";
    return;
  }
  f.value = value;
}

std::string Clock(double s) {
  const long total = std::lround(std::max(s, 0.0));
  char buf[32];
  if (total >= 3600) {
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", total / 3600, total / 60 % 60, total % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ld:%02ld", total / 60, total % 60);
  }
  return buf;
}

std::string Fixed(double v, int digits) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// Writes progress rows and progress lines for one evaluation; keeps the first store
// error, since the callbacks it runs in cannot return one.
class ProgressSink {
 public:
  ProgressSink(const QualityRecorder& rec, std::string task, std::string unit, std::string metric)
      : rec_(rec), task_(std::move(task)), unit_(std::move(unit)), metric_(std::move(metric)), t0_ns_(MonotonicNs()) {}

  void Step(size_t done, size_t total, double running, std::optional<int64_t> successes) {
    const double elapsed = static_cast<double>(MonotonicNs() - t0_ns_) * 1e-9;
    if (rec_.store != nullptr && status_.ok()) {
      QualityProgress p;
      p.run_id = rec_.run_id;
      p.model_path = rec_.model.path;
      p.task = task_;
      p.unit = unit_;
      p.done = static_cast<int64_t>(done);
      p.total = static_cast<int64_t>(total);
      p.successes = successes;
      p.running_metric = metric_;
      p.running_value = running;
      p.elapsed_s = elapsed;
      status_ = rec_.store->AddProgress(p);
    }
    if (!rec_.on_progress) return;
    const bool due = unit_ == "chunk" || done <= 1 || done >= total || elapsed - last_print_s_ >= 1.0;
    if (!due) return;
    last_print_s_ = elapsed;
    rec_.on_progress(task_ + " " + ProgressLine(done, total, metric_ + " " + Fixed(running, 4), elapsed));
  }

  // Writes the figures (after a store error only the error is reported).
  Status Finish(std::vector<QualityFigure> figures) {
    if (rec_.store == nullptr) return status_;
    for (QualityFigure& f : figures) {
      if (!status_.ok()) break;
      f.command = rec_.command;
      f.model = rec_.model;
      status_ = rec_.store->AddFigure(rec_.run_id, f);
    }
    return status_;
  }

 private:
  const QualityRecorder& rec_;
  std::string task_, unit_, metric_;
  int64_t t0_ns_;
  double last_print_s_ = -1e9;
  Status status_ = Status::Ok();
};

}  // namespace

QualityModel DescribeQualityModel(const std::string& path, const ModelInfo& info) {
  QualityModel m;
  m.path = path;
  m.label = std::filesystem::path(path).filename().string();
  m.weight_type = info.file_type;
  if (info.bits_per_weight > 0) m.bits_per_weight = info.bits_per_weight;
  return m;
}

QualitySample SampleFromAnswer(const QualityModel& model, const SampleAnswer& a) {
  QualitySample s;
  s.model = model;
  s.prompt_id = a.prompt_id;
  s.prompt_format = a.prompt_format;
  s.text = a.text;
  s.stop_reason = a.stop_reason;
  s.n_prompt_tokens = a.n_prompt_tokens;
  s.n_generated = a.n_generated;
  if (a.ttft_ms >= 0) s.ttft_ms = a.ttft_ms;
  if (a.decode_tokens_per_s >= 0) s.decode_tokens_per_s = a.decode_tokens_per_s;
  s.seed = a.seed;
  return s;
}

std::string ChunkDetail(uint32_t n_ctx, size_t n_chunks) {
  return "ctx " + std::to_string(n_ctx) + ", " + std::to_string(n_chunks) + " chunks, second half scored, token-normalised";
}

std::vector<QualityFigure> PerplexityFigures(const PerplexityResult& r, const std::string& text_name, uint32_t n_ctx) {
  QualityFigure f = Base("ppl", text_name, static_cast<int64_t>(r.n_scored), "tokens", ChunkDetail(n_ctx, r.n_chunks),
                         r.seconds, r.tokens_per_s, r.interrupted);
  SetMean(f, r.ppl, r.ppl_stderr, r.n_scored, 1.0);
  return {f};
}

std::vector<QualityFigure> KldFigures(const KldResult& k, const std::string& text_name, uint32_t n_ctx,
                                      const std::string& base_label) {
  std::string detail = "vs " + base_label + ", " + ChunkDetail(n_ctx, k.model.n_chunks);
  if (k.base_top_k > 0) {
    detail += ", base saved as top-" + std::to_string(k.base_top_k) + " + rest (KLD is a lower bound)";
  }
  auto make = [&](const std::string& metric) {
    return Base(metric, text_name, static_cast<int64_t>(k.n), "positions", detail, k.model.seconds,
                k.model.tokens_per_s, k.interrupted);
  };
  std::vector<QualityFigure> out;
  QualityFigure mean = make("kld_mean");
  SetMean(mean, k.mean, k.mean_stderr, k.n, 0.0);
  out.push_back(mean);
  const std::pair<const char*, double> plain[] = {
      {"kld_median", k.median}, {"kld_p90", k.p90}, {"kld_p99", k.p99}, {"kld_max", k.max}};
  for (const auto& [metric, value] : plain) {
    QualityFigure f = make(metric);
    SetPlain(f, value, k.n);
    out.push_back(f);
  }
  QualityFigure top1 = make("top1_agreement");
  const size_t agree = static_cast<size_t>(std::llround(k.top1_agreement * static_cast<double>(k.n)));
  SetProportion(top1, agree, k.n);
  out.push_back(top1);
  QualityFigure ppl = make("ppl");
  ppl.detail = ChunkDetail(n_ctx, k.model.n_chunks) + ", measured with kld";
  ppl.n_unit = "tokens";
  ppl.n = static_cast<int64_t>(k.model.n_scored);
  SetMean(ppl, k.model.ppl, k.model.ppl_stderr, k.model.n_scored, 1.0);
  out.push_back(ppl);
  return out;
}

std::vector<QualityFigure> ChoiceFigures(const ChoiceEvalResult& r, int shots) {
  const std::string detail = std::to_string(shots) + "-shot, log-likelihood of each choice";
  QualityFigure acc = Base("acc", r.task, static_cast<int64_t>(r.n), "items", detail, r.seconds, r.tokens_per_s,
                           r.interrupted);
  SetProportion(acc, r.correct, r.n);
  QualityFigure norm = Base("acc_norm", r.task, static_cast<int64_t>(r.n), "items",
                            detail + ", normalised by continuation bytes", r.seconds, r.tokens_per_s, r.interrupted);
  SetProportion(norm, r.correct_norm, r.n);
  return {acc, norm};
}

std::vector<QualityFigure> LambadaFigures(const LambadaResult& r) {
  QualityFigure acc = Base("lambada_acc", "lambada", static_cast<int64_t>(r.n), "items",
                           "last word greedy (every token the argmax)", r.seconds, r.tokens_per_s, r.interrupted);
  SetProportion(acc, r.correct, r.n);
  QualityFigure ppl = Base("lambada_ppl", "lambada", static_cast<int64_t>(r.n), "items",
                           "perplexity over the last words' tokens", r.seconds, r.tokens_per_s, r.interrupted);
  SetPlain(ppl, r.ppl, r.n);
  return {acc, ppl};
}

std::string ProgressLine(size_t done, size_t total, const std::string& value, double elapsed_s) {
  const int pct = total == 0 ? 100 : static_cast<int>(100 * done / total);
  std::string line = "[" + std::to_string(done) + "/" + std::to_string(total) + "] " + std::to_string(pct) + "%  " +
                     value + "  elapsed " + Clock(elapsed_s);
  if (done > 0 && done < total) {
    line += "  ETA " + Clock(elapsed_s / static_cast<double>(done) * static_cast<double>(total - done));
  } else if (done >= total) {
    line += "  ETA 0:00";
  }
  return line;
}

Result<PerplexityResult> RunPerplexityRecorded(const Model& model, const std::string& text,
                                               const std::string& text_name, ChunkedEvalOptions o,
                                               const QualityRecorder& rec) {
  ProgressSink sink(rec, text_name, "chunk", "ppl");
  auto user = o.on_chunk;
  o.on_chunk = [&](size_t done, size_t total, double running) {
    if (user) user(done, total, running);
    sink.Step(done, total, running, std::nullopt);
  };
  EDGELM_ASSIGN_OR_RETURN(PerplexityResult r, RunPerplexity(model, text, o));
  EDGELM_RETURN_IF_ERROR(sink.Finish(PerplexityFigures(r, text_name, o.n_ctx)));
  return r;
}

Result<KldResult> RunKldRecorded(const Model* base, const std::string& base_label, const std::string& base_file,
                                 const Model& model, const std::string& text, const std::string& text_name,
                                 ChunkedEvalOptions o, const QualityRecorder& rec) {
  ProgressSink sink(rec, text_name, "chunk", "kld_mean");
  auto user = o.on_chunk;
  o.on_chunk = [&](size_t done, size_t total, double running) {
    if (user) user(done, total, running);
    sink.Step(done, total, running, std::nullopt);
  };
  Result<KldResult> r = base != nullptr ? RunKld(*base, model, text, o) : RunKldFromSaved(model, text, base_file, o);
  if (!r.ok()) return r.status();
  EDGELM_RETURN_IF_ERROR(sink.Finish(KldFigures(*r, text_name, o.n_ctx, base_label)));
  return r;
}

Result<ChoiceEvalResult> EvaluateChoicesRecorded(const Model& model, const TaskData& task, ChoiceEvalOptions o,
                                                 int shots, const QualityRecorder& rec) {
  ProgressSink sink(rec, task.name, "item", "acc");
  auto user = o.on_item;
  o.on_item = [&](size_t done, size_t total, double acc) {
    if (user) user(done, total, acc);
    sink.Step(done, total, acc, std::llround(acc * static_cast<double>(done)));
  };
  EDGELM_ASSIGN_OR_RETURN(ChoiceEvalResult r, EvaluateChoices(model, task, o));
  EDGELM_RETURN_IF_ERROR(sink.Finish(ChoiceFigures(r, shots)));
  return r;
}

Result<LambadaResult> EvaluateLambadaRecorded(const Model& model, const TaskData& task, ChoiceEvalOptions o,
                                              const QualityRecorder& rec) {
  ProgressSink sink(rec, "lambada", "item", "lambada_acc");
  auto user = o.on_item;
  o.on_item = [&](size_t done, size_t total, double acc) {
    if (user) user(done, total, acc);
    sink.Step(done, total, acc, std::llround(acc * static_cast<double>(done)));
  };
  EDGELM_ASSIGN_OR_RETURN(LambadaResult r, EvaluateLambada(model, task, o));
  EDGELM_RETURN_IF_ERROR(sink.Finish(LambadaFigures(r)));
  return r;
}

}  // namespace edgelm
