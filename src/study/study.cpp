#include "study/study.h"

#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "analysis/bandwidth.h"
#include "analysis/cost.h"
#include "analysis/device.h"
#include "analysis/fit.h"
#include "bench/energy.h"
#include "bench/engine_target.h"
#include "bench/results_store.h"
#include "bench/runner.h"
#include "bench/system_probe.h"
#include "core/clock.h"
#include "edgelm/engine.h"
#include "eval/perplexity.h"
#include "eval/quality_record.h"
#include "eval/quality_store.h"
#include "eval/samples.h"
#include "eval/task_data.h"
#include "study/model_prep.h"
#include "gguf/gguf_reader.h"
#include "telemetry/device_profile.h"
#include "telemetry/sysfs.h"
#include "telemetry/telemetry.h"

namespace edgelm::study {
namespace {

namespace fs = std::filesystem;
using bench::BenchConfig;
using bench::TestKind;

// A TinyStories-like prompt, as `edgelm bench --request` uses: the request test is about
// latency, and a fixed text keeps it comparable across models.
constexpr const char* kRequestPrompt =
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the park.";

std::string Clock(double s) {
  char buf[32];
  const int total = static_cast<int>(std::lround(std::max(s, 0.0)));
  std::snprintf(buf, sizeof buf, "%d:%02d", total / 60, total % 60);
  return buf;
}

// Runs a hook command with the configuration in its environment; output is captured
// (at most 64 KiB) and recorded, never interpreted.
report::HookRecord RunHook(const std::string& command, const BenchConfig& c) {
  report::HookRecord h;
  h.config_key = c.Key();
  h.when = "before";
  h.command = command;
  std::string env = "EDGELM_CONFIG_KEY='" + c.Key() + "' EDGELM_MODEL='" + c.model_path + "' EDGELM_THREADS=" +
                    std::to_string(c.n_threads) + " EDGELM_CTX=" + std::to_string(c.EffectiveCtx()) +
                    " EDGELM_TEST='" + c.TestName() + "' ";
  // Single quotes in the values would break the quoting above: they come from our own
  // keys and the study's model paths, which are refused with quotes (PrepareModels).
  FILE* p = ::popen(("export " + env + "; " + command + " 2>&1").c_str(), "r");
  if (!p) {
    h.exit_code = -1;
    h.output = "could not start the shell";
    return h;
  }
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) {
    if (h.output.size() < 65536) h.output.append(buf, std::min(n, 65536 - h.output.size()));
  }
  const int st = ::pclose(p);
  h.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return h;
}

std::vector<BenchConfig> BuildGrid(const StudyConfig& c, const std::vector<PreparedModel>& models) {
  std::vector<int> threads;
  const int online = bench::OnlineCpuCount();
  for (int t : c.threads) {
    const int v = t == 0 ? online : t;
    if (std::find(threads.begin(), threads.end(), v) == threads.end()) threads.push_back(v);
  }
  std::sort(threads.begin(), threads.end());
  const int t_max = threads.back();
  std::vector<BenchConfig> grid;
  auto add = [&](const std::string& path, TestKind kind, int t, uint32_t ctx) {
    BenchConfig b;
    b.index = static_cast<int>(grid.size());
    b.model_path = path;
    b.kind = kind;
    b.n_threads = t;
    b.repetitions = c.repetitions;
    b.warmups = c.warmups;
    if (kind == TestKind::kPrompt) b.n_prompt = c.n_prompt;
    if (kind == TestKind::kGen) b.n_gen = c.n_gen;
    if (kind == TestKind::kRequest) b.n_gen = c.request_tokens;
    // The context must hold the test; a smaller configured size is raised to it.
    b.n_ctx = std::max(ctx, b.RequiredCtx());
    grid.push_back(b);
  };
  for (const auto& m : models) {
    if (m.quality_only) {
      add(m.path, TestKind::kGen, t_max, c.contexts.front());
      continue;
    }
    for (int t : threads) {
      add(m.path, TestKind::kPrompt, t, c.contexts.front());
      add(m.path, TestKind::kGen, t, c.contexts.front());
    }
    for (size_t i = 1; i < c.contexts.size(); ++i) add(m.path, TestKind::kGen, t_max, c.contexts[i]);
    if (c.request) add(m.path, TestKind::kRequest, t_max, std::max<uint32_t>(c.contexts.front(), 256));
  }
  return grid;
}

// One phase of a configuration as the study measures its energy: the window from the
// first measured span to the last.
struct EnergyWindow {
  std::string phase;
  int64_t start_ns = 0, end_ns = 0;
  int64_t tokens = 0;
};

// The energy windows of one configuration's measured repetitions, from the bench layer's
// span log (bench::SelectMeasuredSpans skips the warmups). The window runs from the
// first measured span to the last, gaps between repetitions (a few microseconds of
// Reset) included: a sensor sampling every 100 ms cannot resolve one 20 ms decode, but
// it resolves the repetitions back to back (docs/REPORT.md "Energy").
// A request test is one "request" window, prompt text in to the last token, per
// generated token: its prefill and decode alternate within the window, so splitting it
// into two windows would count each repetition's prefill in the decode window.
std::vector<EnergyWindow> EnergyWindows(const BenchConfig& c, const std::vector<bench::RecordedSpan>& log) {
  const bench::PhaseSpans m = bench::SelectMeasuredSpans(log, c.warmups);
  std::vector<EnergyWindow> out;
  auto window = [](const std::string& phase, const std::vector<bench::RecordedSpan>& spans) {
    EnergyWindow w{phase, spans.front().start_ns, spans.back().end_ns, 0};
    for (const auto& s : spans) w.tokens += s.tokens;
    return w;
  };
  if (c.kind == TestKind::kRequest) {
    if (m.prefill.empty()) return out;
    EnergyWindow w{"request", m.prefill.front().start_ns, m.prefill.back().end_ns, 0};
    // Generated tokens: the first token closes each request's prefill span, the rest are
    // its decode span's.
    w.tokens = static_cast<int64_t>(m.prefill.size());
    for (const auto& s : m.decode) {
      w.tokens += s.tokens;
      w.end_ns = std::max(w.end_ns, s.end_ns);
    }
    out.push_back(w);
    return out;
  }
  if (!m.prefill.empty()) out.push_back(window("prefill", m.prefill));
  if (!m.decode.empty()) out.push_back(window("decode", m.decode));
  return out;
}

// Energy of one configuration: one record per window and source.
void RecordEnergy(const BenchConfig& c, const std::vector<bench::RecordedSpan>& spans, const telemetry::Telemetry* t,
                  const std::string& no_energy_reason, int64_t t0_ns, report::StudyStore& store, int64_t run_id) {
  for (const EnergyWindow& w : EnergyWindows(c, spans)) {
    const int64_t a = w.start_ns, b = w.end_ns;
    const std::string& phase = w.phase;
    const int64_t tokens = w.tokens;
    (void)store.AddPhase(run_id, {c.Key(), phase, double(a - t0_ns) * 1e-9, double(b - t0_ns) * 1e-9});
    if (!t) {
      report::EnergyRecord e;
      e.config_key = c.Key();
      e.phase = phase;
      e.source = "none";
      e.tokens = tokens;
      e.seconds = double(b - a) * 1e-9;
      e.reason = no_energy_reason;
      (void)store.AddEnergy(run_id, e);
      continue;
    }
    for (const auto& se : t->EnergyBetween(a, b, tokens)) {
      report::EnergyRecord e;
      e.config_key = c.Key();
      e.phase = phase;
      e.source = se.source;
      e.basis = se.coverage;
      e.estimated = se.estimated;
      e.tokens = tokens;
      e.seconds = double(b - a) * 1e-9;
      e.joules = se.energy.gross.value;
      e.avg_watts = se.energy.avg_watts;
      e.reason = se.energy.gross.reason;
      (void)store.AddEnergy(run_id, e);
    }
  }
}

// Mean power over consecutive windows of the whole study, per source.
void RecordPowerTimeline(const telemetry::Telemetry& t, int64_t t0_ns, int64_t t1_ns, double interval_ms,
                         report::StudyStore& store, int64_t run_id) {
  const double duration_s = double(t1_ns - t0_ns) * 1e-9;
  // Long enough for the slowest sensor to resolve (more than three of its sampling
  // intervals); at most 600 windows.
  double window_s = std::max({0.5, 4 * interval_ms * 1e-3, duration_s / 600});
  std::map<std::string, report::PowerTimeline> by_source;
  std::vector<std::string> order;
  for (double s = 0; s + window_s <= duration_s + 1e-9; s += window_s) {
    const int64_t a = t0_ns + static_cast<int64_t>(s * 1e9), b = t0_ns + static_cast<int64_t>((s + window_s) * 1e9);
    for (const auto& se : t.EnergyBetween(a, b)) {
      auto [it, inserted] = by_source.try_emplace(se.sensor);
      if (inserted) order.push_back(se.sensor);
      auto& tl = it->second;
      tl.source = se.source + (se.sensor != se.source ? " (" + se.sensor + ")" : "");
      tl.estimated = se.estimated;
      tl.window_s = window_s;
      if (se.energy.gross.value) {
        tl.samples.push_back({s + window_s / 2, *se.energy.gross.value / window_s});
      } else if (tl.reason.empty()) {
        tl.reason = se.energy.gross.reason;
      }
    }
  }
  for (const auto& name : order) (void)store.AddPower(run_id, by_source[name]);
}

// What the quality step reads besides the models, loaded before any work so that a bad
// task name or file fails the study before minutes of bench.
struct QualityInputs {
  std::vector<TaskData> tasks;            // one per config.quality_tasks
  std::vector<SamplePrompt> prompts;      // the suite, when [quality] samples
};

Result<QualityInputs> LoadQualityInputs(const StudyConfig& c) {
  QualityInputs in;
  if (c.quality_models.empty()) return in;  // nothing to evaluate them with
  if (!c.quality_tasks.empty()) {
    EDGELM_ASSIGN_OR_RETURN(std::string dir, QualityDataDir(c));
    for (const QualityTask& t : c.quality_tasks) {
      auto task = LoadTask(dir, t.name, c.quality_shots, t.limit);
      if (!task.ok()) {
        return Status(task.status().code(), "quality task '" + t.Spec() + "': " + task.status().message());
      }
      in.tasks.push_back(std::move(*task));
    }
  }
  if (c.quality_samples) {
    EDGELM_ASSIGN_OR_RETURN(std::string dir, QualityPromptsDir(c));
    EDGELM_ASSIGN_OR_RETURN(in.prompts, LoadPromptSuite(dir));
    if (in.prompts.empty()) return NotFoundError("prompt suite '" + dir + "' holds no *.txt prompt");
  }
  return in;
}

// Quality figures go to the quality tables of the results store (eval/quality_store.h),
// the same rows `edgelm ppl`, `kld`, `eval` and `samples` write; a figure that could not
// be measured is recorded with its reason. Per model file: perplexity, KLD against the
// first file, each accuracy task, then the prompt suite's answers.
void RunQuality(const StudyConfig& c, const QualityInputs& inputs, const std::vector<PreparedModel>& models,
                int threads, int64_t t0_ns, report::StudyStore& store, QualityStore& quality, int64_t run_id,
                const std::function<void(const std::string&)>& log, const std::atomic<bool>* interrupt) {
  std::vector<const PreparedModel*> q;
  for (const auto& m : models) {
    if (m.quality_only) q.push_back(&m);
  }
  if (q.empty()) return;
  std::string text;
  std::string text_error;
  if (c.quality_text.empty()) {
    text_error = "no text for perplexity ([quality] text or --quality-text)";
  } else {
    std::ifstream in(c.quality_text, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    text = s.str();
    if (!in || text.empty()) text_error = "cannot read the quality text '" + c.quality_text + "'";
  }
  ChunkedEvalOptions eo;
  eo.n_ctx = c.quality_ctx;
  eo.max_chunks = c.quality_chunks;
  eo.session.n_threads = threads;
  eo.cancel = interrupt;
  const std::string text_name = c.quality_text.empty() ? "" : fs::path(c.quality_text).filename().string();
  auto describe = [](const PreparedModel& m) -> QualityModel {
    return {m.path, m.label, m.weight_type, m.bits_per_weight};
  };
  auto add = [&](const PreparedModel& m, QualityFigure f) {
    f.command = "study";
    f.model = describe(m);
    if (f.detail.empty()) f.detail = ChunkDetail(c.quality_ctx, c.quality_chunks);
    (void)quality.AddFigure(run_id, f);
  };
  auto absent = [&](const char* metric, const std::string& task, const std::string& reason) {
    QualityFigure f;
    f.metric = metric;
    f.task = task;
    f.reason = reason;
    return f;
  };
  auto stopped = [&] { return interrupt && interrupt->load(); };
  std::unique_ptr<Model> base;
  const int64_t qa = MonotonicNs();
  for (size_t i = 0; i < q.size() && !stopped(); ++i) {
    const PreparedModel& m = *q[i];
    log("quality: perplexity of " + m.label);
    LoadOptions lo;
    lo.path = m.path;
    auto loaded = Model::Load(lo);
    if (!loaded.ok()) {
      const std::string why = "model failed to load: " + loaded.status().message();
      add(m, absent("ppl", text_name, why));
      for (const TaskData& t : inputs.tasks) add(m, absent("acc", t.name, why));
      continue;
    }
    std::unique_ptr<Model> model = std::move(*loaded);
    if (!text_error.empty()) {
      add(m, absent("ppl", text_name, text_error));
    } else if (auto p = RunPerplexity(*model, text, eo); !p.ok()) {
      add(m, absent("ppl", text_name, "perplexity failed: " + p.status().message()));
    } else {
      for (QualityFigure& f : PerplexityFigures(*p, text_name, c.quality_ctx)) add(m, f);
    }
    if (c.quality_kld && text_error.empty() && i > 0 && !stopped()) {
      std::vector<QualityFigure> kld_figures;
      if (!base) {
        const std::string why = "the base model (" + q[0]->label + ") failed to load";
        kld_figures = {absent("kld_mean", text_name, why), absent("top1_agreement", text_name, why)};
      } else if (auto kl = RunKld(*base, *model, text, eo); !kl.ok()) {
        const std::string why = "KL divergence failed: " + kl.status().message();
        kld_figures = {absent("kld_mean", text_name, why), absent("top1_agreement", text_name, why)};
      } else {
        kld_figures = KldFigures(*kl, text_name, c.quality_ctx, q[0]->label);
      }
      // The report's quality section charts the mean and lists top-1 agreement.
      for (QualityFigure& f : kld_figures) {
        if (f.metric == "kld_mean" || f.metric == "top1_agreement") add(m, f);
      }
    }
    // Accuracy tasks: the recorded evaluations write progress and figures themselves.
    const QualityRecorder rec{&quality, run_id, describe(m), "study", [&](const std::string& line) {
                                log("quality: " + m.label + " " + line);
                              }};
    ChoiceEvalOptions co;
    co.session.n_threads = threads;
    co.cancel = interrupt;
    for (size_t k = 0; k < inputs.tasks.size() && !stopped(); ++k) {
      const TaskData& task = inputs.tasks[k];
      log("quality: " + task.name + " (" + c.quality_tasks[k].Spec() + ") on " + m.label);
      if (task.name == "lambada") {
        if (auto r = EvaluateLambadaRecorded(*model, task, co, rec); !r.ok()) {
          add(m, absent("lambada_acc", task.name, "evaluation failed: " + r.status().message()));
        }
      } else {
        const int shots = task.name == "mmlu" ? c.quality_shots : 0;
        if (auto r = EvaluateChoicesRecorded(*model, task, co, shots, rec); !r.ok()) {
          add(m, absent("acc", task.name, "evaluation failed: " + r.status().message()));
        }
      }
    }
    // The prompt suite: each answer is stored the moment it is generated.
    if (!inputs.prompts.empty() && !stopped()) {
      log("quality: prompt suite (" + std::to_string(inputs.prompts.size()) + " prompts) with " + m.label);
      SamplesOptions so;
      so.session.n_threads = threads;
      so.cancel = interrupt;
      const QualityModel qm = describe(m);
      so.on_answer = [&](const SampleAnswer& a, size_t, size_t) {
        (void)quality.AddSample(run_id, SampleFromAnswer(qm, a));
      };
      if (auto a = GenerateSamples(*model, m.label, inputs.prompts, so); !a.ok()) {
        log("warning: prompt suite with " + m.label + " failed: " + a.status().message());
      }
    }
    if (i == 0) base = std::move(model);
  }
  (void)store.AddPhase(run_id, {"quality", "quality", double(qa - t0_ns) * 1e-9, double(MonotonicNs() - t0_ns) * 1e-9});
}

// The roofline bound of decode for each model file (analysis::Fit on the study's device
// profile). "this-machine" has no published bandwidth, so it is measured per model with a
// buffer as large as that model's weights, as `edgelm probe -m` does: a small model's
// weights stay in cache between tokens, and a DRAM-sized read would put its bound below
// what decode achieves. A missing figure leaves the bound absent with the note saying
// why: the study goes on.
void AddRooflineBounds(const StudyConfig& c, int n_threads, report::StudySettings& settings,
                       const std::function<void(const std::string&)>& log) {
  const telemetry::SysfsRoot root = telemetry::SysfsRoot::FromFlagOrEnv("");
  const std::string spec = c.device_profile.substr(0, c.device_profile.find(':'));  // "id:mode" -> "id"
  auto profile = telemetry::SelectDeviceProfile(spec, telemetry::DeviceProfileDir(), root);
  if (!profile.ok()) {
    settings.roofline_note = "no roofline bound: " + profile.status().message();
    return;
  }
  const bool is_file = spec.size() > 5 && spec.substr(spec.size() - 5) == ".toml";
  auto device = analysis::FindDeviceSpec(is_file ? spec : profile->id, telemetry::DeviceProfileDir(), root);
  if (!device.ok()) {
    settings.roofline_note = "no roofline bound: " + device.status().message();
    return;
  }
  const bool measure = !device->memory_bandwidth_bytes_per_s && device->id() == "this-machine";
  if (!measure && !device->memory_bandwidth_bytes_per_s) {
    settings.roofline_note = "no roofline bound: device profile '" + device->id() + "' has no memory bandwidth figure";
    return;
  }
  std::string bandwidths;
  for (auto& v : settings.variants) {
    auto file = GgufFile::Open(v.model_path);
    if (!file.ok()) continue;
    auto shape = analysis::ShapeFromGguf(**file);
    if (!shape.ok()) continue;
    analysis::DeviceSpec d = *device;
    if (measure) {
      uint64_t weight_bytes = 0;
      for (const auto& t : (*file)->tensors()) weight_bytes += t.n_bytes;
      // More passes over a small buffer (best one counts): a pass of a few MiB is short
      // enough for one scheduler hiccup on a busy machine to spoil it.
      const uint64_t buffer_bytes = std::max<uint64_t>(weight_bytes, 1u << 20);
      const int passes = static_cast<int>(std::clamp<uint64_t>((uint64_t{4} << 30) / buffer_bytes, 4, 64));
      auto bw = analysis::MeasureReadBandwidth(buffer_bytes, n_threads, passes);
      if (!bw.ok()) continue;
      d.memory_bandwidth_bytes_per_s = *bw;
      char buf[96];
      std::snprintf(buf, sizeof buf, "%.1f GB/s", bw->value / 1e9);
      bandwidths += (bandwidths.empty() ? "" : ", ") + v.label + " " + buf;
    }
    analysis::FitOptions fo;
    fo.n_ctx = c.contexts.front();
    fo.n_threads = n_threads;
    auto fit = analysis::Fit(*shape, d, fo);
    if (fit.ok()) v.roofline_decode_tokens_per_s = fit->predicted_decode_tokens_per_s_start;
  }
  if (measure) {
    log("measured this machine's read bandwidth per model (buffer = its weight bytes) for the roofline bound");
    settings.roofline_note = "read bandwidth measured on this machine with " + std::to_string(n_threads) +
                             " thread(s) over a buffer as large as each model's weights, so caches count as in "
                             "decode (" + bandwidths + ") / bytes read per generated token at position 0";
    return;
  }
  const analysis::Figure& bw = *device->memory_bandwidth_bytes_per_s;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f GB/s", bw.value / 1e9);
  settings.roofline_note = "memory bandwidth " + std::string(buf) + " (" + analysis::ProvenanceName(bw.provenance) +
                           (bw.source.empty() ? "" : ": " + bw.source) + ", device profile '" + device->id() +
                           "') / bytes read per generated token at position 0";
}

}  // namespace

Result<StoredStudy> LoadStoredStudy(const std::string& db_path, int64_t run_id) {
  EDGELM_ASSIGN_OR_RETURN(auto store, report::StudyStore::Open(db_path));
  EDGELM_ASSIGN_OR_RETURN(auto data, store->Load(run_id));
  if (!data.settings) {
    return NotFoundError("run " + std::to_string(run_id) + " of '" + db_path +
                         "' was not made by `edgelm study` (no study settings): resume it with `edgelm bench --resume`");
  }
  return StoredStudy{data.settings->config_text, data.settings->cli_flags_json};
}

Result<StudyOutcome> RunStudy(const StudyOptions& o) {
  auto log = o.log ? o.log : [](const std::string& s) { std::fprintf(stderr, "%s\n", s.c_str()); };
  const StudyConfig& c = o.config;
  StudyOutcome out;
  const int64_t start_ns = MonotonicNs();
  out.db_path = o.db_path;
  if (out.db_path.empty()) {
    EDGELM_ASSIGN_OR_RETURN(out.db_path, bench::DefaultResultsDbPath());
  }

  // Prices first: a bad price table or flag should fail before minutes of synthesis.
  // One source of cloud prices: the study's own entries, else its cloud_table, else the
  // shipped table; then the command-line overrides.
  report::Prices prices = c.prices;
  if (prices.cloud.empty() && o.price_overrides.cloud_table.empty()) {
    const std::string table = c.cloud_table.empty() ? analysis::DefaultCloudPriceFile() : c.cloud_table;
    EDGELM_ASSIGN_OR_RETURN(prices.cloud, analysis::LoadCloudPrices(table));
    prices.cloud_table = table;
  }
  EDGELM_RETURN_IF_ERROR(report::ApplyPriceOverrides(o.price_overrides, &prices));
  // Quality tasks and prompts likewise: a bad task file fails before any work.
  EDGELM_ASSIGN_OR_RETURN(const QualityInputs quality_inputs, LoadQualityInputs(c));

  // Wall time per phase (models, setup, bench, quality, report), printed at the end.
  int64_t phase_ns = MonotonicNs();
  auto lap = [&phase_ns] {
    const int64_t now = MonotonicNs();
    return double(now - std::exchange(phase_ns, now)) * 1e-9;
  };
  EDGELM_ASSIGN_OR_RETURN(std::vector<PreparedModel> models, PrepareModels(c, log, o.interrupt));
  out.models_seconds = lap();
  const std::vector<BenchConfig> grid = BuildGrid(c, models);
  out.n_configs = static_cast<int>(grid.size());

  EDGELM_ASSIGN_OR_RETURN(auto store, bench::ResultsStore::Open(out.db_path));
  EDGELM_ASSIGN_OR_RETURN(auto study_store, report::StudyStore::Open(out.db_path));
  EDGELM_ASSIGN_OR_RETURN(auto quality_store, QualityStore::Open(out.db_path));
  std::set<std::string> done;
  bench::RunContext context;
  if (o.resume_run) {
    out.run_id = *o.resume_run;
    EDGELM_ASSIGN_OR_RETURN(done, store->CompletedKeys(out.run_id));
    EDGELM_RETURN_IF_ERROR(store->SetRunStatus(out.run_id, "running"));
    // The timeline restarts with this session; the earlier one's spans would not line up.
    EDGELM_RETURN_IF_ERROR(study_store->Clear(out.run_id, "power"));
    EDGELM_RETURN_IF_ERROR(study_store->Clear(out.run_id, "phase"));
    EDGELM_RETURN_IF_ERROR(study_store->Clear(out.run_id, "quality"));
  } else {
    context = bench::CollectRunContext();
    context.command_line = o.command_line;
    for (const auto& m : models) {
      EDGELM_ASSIGN_OR_RETURN(auto info, bench::DescribeModelFile(m.path));
      context.models.push_back(info);
    }
    context.warnings = bench::EnvironmentWarnings(context);
    EDGELM_ASSIGN_OR_RETURN(out.run_id, store->BeginRun(context, std::nullopt, out.n_configs));
  }
  for (const auto& w : context.warnings) log("warning: " + w);

  // Energy: measured sources when present, else the labelled estimate from the profile.
  report::StudySettings settings;
  settings.name = c.name;
  settings.config_text = o.config_text;
  settings.cli_flags_json = o.cli_flags_json;
  settings.device_profile = c.device_profile;
  settings.energy_source = c.energy_source;
  settings.prices = prices;
  settings.budget.power_watts = c.power_budget_watts;
  if (c.memory_budget_bytes) {
    settings.budget.memory_bytes = c.memory_budget_bytes;
    settings.budget.memory_basis = "[budget] memory_mib of the study";
  } else if (auto avail = bench::CollectRunContext().mem_available_bytes) {
    settings.budget.memory_bytes = avail;
    settings.budget.memory_basis = "MemAvailable when the study started (total minus what the OS and other processes hold)";
  }
  for (const auto& m : models) settings.variants.push_back({m.path, m.label, m.origin, m.weight_type, m.bits_per_weight});
  bool any_quality = false;
  for (const auto& m : models) any_quality |= m.quality_only;
  if (!any_quality) {
    settings.quality_note = "no quality model given: synthesized weights are noise, so quality needs real weights "
                            "(--quality-model FILE, e.g. stories260K GGUFs, and --quality-text for perplexity)";
  }
  std::unique_ptr<telemetry::Telemetry> tel;
  std::string no_energy;
  if (c.energy_source == "none") {
    no_energy = "energy disabled by the study (energy.source = \"none\")";
  } else {
    telemetry::TelemetryOptions to;
    if (c.energy_source != "auto") to.sources = {c.energy_source};
    to.device_profile = c.device_profile;
    to.power_cmd = c.power_cmd;
    to.energy_interval_ns = static_cast<int64_t>(c.energy_interval_ms * 1e6);
    to.perf_counters = false;  // not needed here, and perf_event_open may be denied
    auto t = telemetry::Telemetry::Create(to);
    if (!t.ok()) {
      no_energy = "telemetry could not start: " + t.status().message();
    } else if (Status st = (*t)->Start(); !st.ok()) {
      no_energy = "telemetry could not start: " + st.message();
    } else {
      tel = std::move(*t);
      if (c.idle_baseline_s > 0) {
        log("measuring the idle baseline for " + std::to_string(c.idle_baseline_s) + " s: keep the machine quiet");
        (void)tel->MeasureIdleBaseline(static_cast<int64_t>(c.idle_baseline_s * 1e9));
      }
    }
  }
  if (tel) {
    auto rep = tel->Report();
    std::string sources;
    bool estimated = false;
    for (const auto& s : rep.sources) {
      sources += (sources.empty() ? "" : "; ") + s.source + " (" + s.coverage + ")";
      estimated |= s.estimated;
    }
    const bool labelled = sources.find("ESTIMATED") != std::string::npos;
    settings.energy_note = (estimated ? (labelled ? "" : "ESTIMATED, not measured: ") : "measured: ") + sources;
    if (rep.sources.empty()) settings.energy_note = "no energy source was found";
  } else {
    settings.energy_note = no_energy;
  }
  {
    int t_max = 1;
    for (const auto& b : grid) t_max = std::max(t_max, b.n_threads);
    AddRooflineBounds(c, t_max, settings, log);
  }
  EDGELM_RETURN_IF_ERROR(study_store->PutSettings(out.run_id, settings));
  log("study run " + std::to_string(out.run_id) + ": " + std::to_string(grid.size()) + " configurations (" +
      std::to_string(done.size()) + " already complete), results in " + out.db_path);
  log("energy: " + settings.energy_note);

  bench::SpanLog spans;
  auto engine = bench::MakeEngineTarget();
  auto target = bench::MakeSpanRecordingTarget(*engine, spans);
  bench::RunnerOptions ro;
  ro.request_prompt = kRequestPrompt;
  ro.progress = false;
  ro.interrupt = o.interrupt;
  ro.warn = [&](const std::string& w) { log("warning: " + w); };
  for (const auto& m : context.models) ro.model_sha256[m.path] = m.sha256;
  bench::Runner runner(*target, ro);
  out.setup_seconds = lap();
  const int64_t bench_t0 = MonotonicNs();
  int n_run = 0;
  const int n_todo = static_cast<int>(std::count_if(grid.begin(), grid.end(), [&](const BenchConfig& b) {
    return !done.count(b.Key());
  }));
  out.n_skipped = out.n_configs - n_todo;
  std::map<std::string, std::string> labels;
  for (const auto& m : models) labels[m.path] = m.label;
  // The energy of a configuration is computed once the sensors have sampled past its
  // end (an interval needs a sample at or after each of its ends): after the next
  // configuration, or after the telemetry stopped.
  struct Pending {
    BenchConfig config;
    std::vector<bench::RecordedSpan> spans;
  };
  std::vector<Pending> pending;
  double slowest_interval_ms = c.energy_interval_ms;
  if (tel) {
    for (const auto& s : tel->Report().sources) slowest_interval_ms = std::max(slowest_interval_ms, s.interval_ms);
  }
  const int64_t settle_ns = static_cast<int64_t>(2 * slowest_interval_ms * 1e6);
  auto flush_energy = [&](int64_t cutoff_ns) {
    std::vector<Pending> keep;
    for (auto& p : pending) {
      int64_t last = 0;
      for (const auto& sp : p.spans) last = std::max(last, sp.end_ns);
      if (last <= cutoff_ns) {
        RecordEnergy(p.config, p.spans, tel.get(), no_energy, bench_t0, *study_store, out.run_id);
      } else {
        keep.push_back(std::move(p));
      }
    }
    pending = std::move(keep);
  };
  for (const auto& cfg : grid) {
    if (done.count(cfg.Key())) continue;
    if (o.interrupt && o.interrupt->load()) {
      out.interrupted = true;
      break;
    }
    if (!c.hook_before.empty()) (void)study_store->AddHook(out.run_id, RunHook(c.hook_before, cfg));
    (void)spans.Take();
    std::string result = "failed";
    auto outcome = runner.Run({cfg}, {}, [&](const bench::ConfigRecord& record) -> Status {
      // A configuration that failed before its warmups records 0 warmups run, which the
      // store's reader then sees as a different configuration (the key includes the
      // warmups asked for): keep the asked-for count on a failed record.
      bench::ConfigRecord r = record;
      if (r.status != "ok") r.warmups = r.config.warmups;
      EDGELM_RETURN_IF_ERROR(store->AddRecord(out.run_id, r));
      const auto d = bench::Derive(r);
      if (r.status == "ok" && d.ts.mean) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.1f tokens/s", *d.ts.mean);
        result = buf;
      } else {
        result = "error: " + r.error;
        ++out.n_failed;
      }
      return Status::Ok();
    });
    if (!outcome.ok()) return outcome.status();
    pending.push_back({cfg, spans.Take()});
    flush_energy(MonotonicNs() - settle_ns);
    ++n_run;
    const double elapsed = double(MonotonicNs() - bench_t0) * 1e-9;
    const double eta = elapsed / n_run * (n_todo - n_run);
    char pct[16];
    std::snprintf(pct, sizeof pct, "%3d%%", 100 * (out.n_skipped + n_run) / std::max(out.n_configs, 1));
    log(std::string("[") + std::to_string(out.n_skipped + n_run) + "/" + std::to_string(out.n_configs) + "] " + pct +
        " " + labels[cfg.model_path] + " " + cfg.TestName() + " t" + std::to_string(cfg.n_threads) + " ctx " +
        std::to_string(cfg.n_ctx) + ": " + result + "  elapsed " + Clock(elapsed) + "  ETA " + Clock(eta));
    if (outcome->interrupted) {
      out.interrupted = true;
      break;
    }
  }
  out.n_done = n_run;
  out.bench_seconds = lap();
  if (!out.interrupted) {
    int threads = 1;
    for (const auto& b : grid) threads = std::max(threads, b.n_threads);
    RunQuality(c, quality_inputs, models, threads, bench_t0, *study_store, *quality_store, out.run_id, log, o.interrupt);
    // Stopped during the quality step: the run is resumable, and a resume redoes quality.
    if (o.interrupt && o.interrupt->load()) out.interrupted = true;
  }
  out.quality_seconds = lap();
  // The phase times so far go into the report's run context.
  settings.phase_seconds = {{"models", out.models_seconds}, {"setup", out.setup_seconds},
                            {"bench", out.bench_seconds}, {"quality", out.quality_seconds}};
  EDGELM_RETURN_IF_ERROR(study_store->PutSettings(out.run_id, settings));
  if (tel) {
    // Let every sensor take a sample past the last phase, then stop sampling.
    bench::InterruptibleSleep(double(settle_ns) * 1e-9, nullptr);
    (void)tel->Stop();
  }
  flush_energy(std::numeric_limits<int64_t>::max());
  if (tel) RecordPowerTimeline(*tel, bench_t0, MonotonicNs(), slowest_interval_ms, *study_store, out.run_id);
  EDGELM_RETURN_IF_ERROR(store->SetRunStatus(out.run_id, out.interrupted ? "interrupted" : "complete"));
  store.reset();

  std::string html = o.report_path;
  if (html.empty()) {
    html = (fs::path(out.db_path).parent_path() / "reports" / ("study-" + std::to_string(out.run_id) + ".html")).string();
  }
  EDGELM_ASSIGN_OR_RETURN(auto input, report::LoadReportInput(out.db_path, out.run_id));
  EDGELM_ASSIGN_OR_RETURN(out.files, report::WriteReportFiles(input, html));
  out.report_seconds = lap();
  out.seconds = double(MonotonicNs() - start_ns) * 1e-9;
  return out;
}

}  // namespace edgelm::study
