#include "bench/energy.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <utility>

#include "core/clock.h"
#include "telemetry/discovery.h"
#include "telemetry/telemetry.h"

namespace edgelm::bench {
namespace {

class RecordingSession : public BenchSession {
 public:
  RecordingSession(std::unique_ptr<BenchSession> inner, SpanLog& log) : inner_(std::move(inner)), log_(log) {}
  Status Reset() override {
    log_.Add({RecordedSpan::kReset, 0, 0, 0});
    return inner_->Reset();
  }
  Result<TimedSpan> Prefill(uint32_t n) override {
    auto r = inner_->Prefill(n);
    if (r.ok()) log_.Add({RecordedSpan::kPrefill, r->start_ns, r->end_ns, n});
    return r;
  }
  Result<TimedSpan> Generate(uint32_t n) override {
    auto r = inner_->Generate(n);
    if (r.ok()) log_.Add({RecordedSpan::kDecode, r->start_ns, r->end_ns, n});
    return r;
  }
  Result<RequestTrace> Request(const std::string& prompt, uint32_t n_gen) override {
    auto r = inner_->Request(prompt, n_gen);
    if (r.ok() && !r->token_ns.empty()) {
      // Prefill: prompt text in hand to the first token (TTFT); decode: the rest.
      log_.Add({RecordedSpan::kPrefill, r->start_ns, r->token_ns.front(), r->n_prompt_tokens});
      if (r->token_ns.size() >= 2) {
        log_.Add({RecordedSpan::kDecode, r->token_ns.front(), r->token_ns.back(),
                  static_cast<int64_t>(r->token_ns.size() - 1)});
      }
    }
    return r;
  }
  MemoryBreakdown memory() const override { return inner_->memory(); }
  std::string isa() const override { return inner_->isa(); }
  int n_threads() const override { return inner_->n_threads(); }
  uint32_t n_ctx() const override { return inner_->n_ctx(); }

 private:
  std::unique_ptr<BenchSession> inner_;
  SpanLog& log_;
};

class RecordingModel : public BenchModel {
 public:
  RecordingModel(std::unique_ptr<BenchModel> inner, SpanLog& log) : inner_(std::move(inner)), log_(log) {}
  const TargetModelInfo& info() const override { return inner_->info(); }
  std::optional<double> load_ms() const override { return inner_->load_ms(); }
  Result<std::unique_ptr<BenchSession>> NewSession(const TargetSessionOptions& options) const override {
    EDGELM_ASSIGN_OR_RETURN(auto s, inner_->NewSession(options));
    return std::unique_ptr<BenchSession>(new RecordingSession(std::move(s), log_));
  }

 private:
  std::unique_ptr<BenchModel> inner_;
  SpanLog& log_;
};

class RecordingTarget : public BenchTarget {
 public:
  RecordingTarget(BenchTarget& inner, SpanLog& log) : inner_(inner), log_(log) {}
  std::string backend_name() const override { return inner_.backend_name(); }
  bool loads_local_files() const override { return inner_.loads_local_files(); }
  Result<std::unique_ptr<BenchModel>> Load(const std::string& path) override {
    EDGELM_ASSIGN_OR_RETURN(auto m, inner_.Load(path));
    return std::unique_ptr<BenchModel>(new RecordingModel(std::move(m), log_));
  }

 private:
  BenchTarget& inner_;
  SpanLog& log_;
};

// Sums one source's figures over the spans of a phase. Any span the source cannot
// resolve makes the phase's value absent (a partial sum would read as the whole).
PhaseEnergyFigures SumSpans(const telemetry::Telemetry& tel, const std::string& phase,
                            const std::vector<RecordedSpan>& spans, size_t source_index) {
  PhaseEnergyFigures f;
  f.phase = phase;
  double joules = 0;
  bool all = true;
  std::optional<double> baseline;
  for (size_t k = 0; k < spans.size(); ++k) {
    const RecordedSpan& s = spans[k];
    const std::vector<telemetry::SourceEnergy> e = tel.EnergyBetween(s.start_ns, s.end_ns, s.tokens);
    if (source_index >= e.size()) return f;
    const telemetry::SourceEnergy& se = e[source_index];
    if (k == 0) {
      f.source = se.source;
      f.sensor = se.sensor;
      f.coverage = se.coverage;
      f.estimated = se.estimated;
      f.method = se.energy.gross.method;
      f.sample_interval_ms = se.energy.gross.sample_interval_ms;
    }
    f.tokens += s.tokens;
    f.duration_s += static_cast<double>(s.end_ns - s.start_ns) * 1e-9;
    ++f.n_spans;
    f.n_samples += static_cast<int64_t>(se.energy.gross.n_samples);
    baseline = se.energy.baseline_watts;
    if (!se.energy.gross.value) {
      if (all) {
        f.reason = "repetition " + std::to_string(k + 1) + " of " + std::to_string(spans.size()) + " (" +
                   std::to_string((s.end_ns - s.start_ns) / 1000) + " us): " + se.energy.gross.reason;
      }
      all = false;
    } else {
      joules += *se.energy.gross.value;
    }
  }
  f.baseline_watts = baseline;
  if (!all || spans.empty()) {
    if (spans.empty()) f.reason = "no " + phase + " span was measured";
    return f;
  }
  f.joules = joules;
  if (f.duration_s > 0) f.avg_watts = joules / f.duration_s;
  if (baseline) f.net_joules = joules - *baseline * f.duration_s;
  if (f.tokens > 0) {
    f.joules_per_token = joules / static_cast<double>(f.tokens);
    if (f.net_joules) f.net_joules_per_token = *f.net_joules / static_cast<double>(f.tokens);
    if (joules > 0) f.tokens_per_joule = static_cast<double>(f.tokens) / joules;
  } else {
    f.reason = "the " + phase + " spans carry no tokens: no per-token figures";
  }
  return f;
}

PhaseSystemFigures SystemFigures(const telemetry::TelemetryReport& rep, const telemetry::PhaseReport& p,
                                 const std::string& phase) {
  PhaseSystemFigures s;
  s.phase = phase;
  for (const auto& z : p.thermal.zones) {
    if (z.max_c && (!s.max_temp_c || *z.max_c > *s.max_temp_c)) s.max_temp_c = z.max_c;
  }
  if (!s.max_temp_c) s.temp_reason = rep.thermal_note.empty() ? "no temperature sample in the phase" : rep.thermal_note;
  double sum_hz = 0;
  int n = 0;
  for (const auto& c : p.thermal.cores) {
    if (c.mean_hz) {
      sum_hz += *c.mean_hz;
      ++n;
    }
  }
  if (n > 0) s.mean_freq_mhz = sum_hz / n / 1e6;
  else s.freq_reason = rep.cpufreq_note.empty() ? "no frequency sample in the phase" : rep.cpufreq_note;
  if (!p.thermal.zones.empty() || !p.thermal.cores.empty()) {
    s.throttling = p.thermal.throttling_suspected;
    s.throttling_reason = p.thermal.throttling_reason;
  } else {
    s.throttling_reason = "no thermal or frequency data: throttling cannot be judged";
  }
  std::string reasons;
  for (const auto& c : p.counters) {
    std::optional<double>* slot = c.name == "cycles"             ? &s.cycles
                                  : c.name == "instructions"       ? &s.instructions
                                  : c.name == "cache-references"   ? &s.cache_references
                                  : c.name == "cache-misses"       ? &s.cache_misses
                                                                   : nullptr;
    if (slot) *slot = c.value;
    if (!c.value && !c.reason.empty()) reasons += (reasons.empty() ? "" : "; ") + c.name + ": " + c.reason;
  }
  if (p.counters.empty()) {
    for (const auto& c : rep.counters) {
      if (!c.supported) reasons += (reasons.empty() ? "" : "; ") + c.name + ": " + c.reason;
    }
    if (reasons.empty()) reasons = "no performance counters";
  }
  s.counters_reason = reasons;
  return s;
}

}  // namespace

void SpanLog::Add(const RecordedSpan& s) {
  std::lock_guard<std::mutex> lock(mu_);
  spans_.push_back(s);
}

std::vector<RecordedSpan> SpanLog::Take() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::exchange(spans_, {});
}

std::unique_ptr<BenchTarget> MakeSpanRecordingTarget(BenchTarget& inner, SpanLog& log) {
  return std::make_unique<RecordingTarget>(inner, log);
}

PhaseSpans SelectMeasuredSpans(const std::vector<RecordedSpan>& log, int warmups) {
  // Split into repetitions at each Reset.
  std::vector<std::vector<RecordedSpan>> reps;
  for (const RecordedSpan& s : log) {
    if (s.kind == RecordedSpan::kReset) reps.emplace_back();
    else if (!reps.empty()) reps.back().push_back(s);
  }
  PhaseSpans out;
  for (size_t i = static_cast<size_t>(std::max(warmups, 0)); i < reps.size(); ++i) {
    const RecordedSpan* last_prefill = nullptr;
    const RecordedSpan* last_decode = nullptr;
    for (const RecordedSpan& s : reps[i]) {
      if (s.kind == RecordedSpan::kPrefill) last_prefill = &s;
      if (s.kind == RecordedSpan::kDecode) last_decode = &s;
    }
    // A prefill after the last decode cannot be the test's (tests prefill first).
    if (last_prefill && (!last_decode || last_prefill->start_ns <= last_decode->start_ns)) {
      out.prefill.push_back(*last_prefill);
    }
    if (last_decode) out.decode.push_back(*last_decode);
  }
  return out;
}

Result<std::vector<std::string>> ParseEnergyMode(const std::string& mode) {
  if (mode == "auto" || mode == "none") return std::vector<std::string>{};
  std::vector<std::string> names;
  size_t pos = 0;
  while (pos <= mode.size()) {
    size_t comma = mode.find(',', pos);
    if (comma == std::string::npos) comma = mode.size();
    std::string name = mode.substr(pos, comma - pos);
    bool known = false;
    for (const char* k : telemetry::kEnergySourceNames) known |= name == k;
    if (!known) {
      std::string list;
      for (const char* k : telemetry::kEnergySourceNames) list += std::string(list.empty() ? "" : ", ") + k;
      return InvalidArgumentError("--energy: unknown source '" + name + "' in '" + mode +
                                  "'; expected none, auto, or a comma list of: " + list);
    }
    names.push_back(name);
    pos = comma + 1;
  }
  return names;
}

Result<std::unique_ptr<EnergyMeter>> EnergyMeter::Create(const EnergyOptions& options) {
  EDGELM_ASSIGN_OR_RETURN(std::vector<std::string> sources, ParseEnergyMode(options.mode));
  if (options.mode == "none") return InvalidArgumentError("EnergyMeter::Create: --energy none measures nothing");
  if (!(options.idle_s >= 0) || options.idle_s > 3600) {
    return InvalidArgumentError("--idle-s: expected 0..3600 seconds, got " + std::to_string(options.idle_s));
  }
  telemetry::TelemetryOptions to;
  to.sysfs_root = options.sysfs_root;
  to.sources = sources;
  to.power_cmd = options.power_cmd;
  to.power_log = options.power_log;
  to.device_profile = options.device;
  to.energy_interval_ns = options.interval_ns;
  to.counter_interval_ns = options.interval_ns;
  auto tel = telemetry::Telemetry::Create(to);
  if (!tel.ok()) return tel.status().WithContext("--energy " + options.mode);
  std::unique_ptr<EnergyMeter> m(new EnergyMeter());
  m->options_ = options;
  m->telemetry_ = std::move(*tel);
  Status started = m->telemetry_->Start();
  // A sensor that could not start is named; the others keep sampling.
  if (!started.ok()) m->note_ = "some energy sensors did not start: " + started.message() + ". ";
  const telemetry::TelemetryReport r = m->telemetry_->Report();
  if (!m->telemetry_->has_measured_energy()) {
    std::string absent;
    for (const auto& f : r.findings) {
      if (f.source == "estimate" || f.state == telemetry::SourceFinding::State::kReadable) continue;
      absent += (absent.empty() ? "" : "; ") + f.source + ": " + f.detail + (f.fix.empty() ? "" : " (fix: " + f.fix + ")");
    }
    m->note_ += "no measured energy source on this machine" + (absent.empty() ? std::string() : " (" + absent + ")");
    const telemetry::SourceReport* est = nullptr;
    for (const auto& s : r.sources) {
      if (s.estimated) est = &s;
    }
    if (est) {
      m->note_ += "; energy figures are ESTIMATED (marked est.): " + est->coverage;
    } else {
      std::string why;
      for (const auto& f : r.findings) {
        if (f.source == "estimate") why += (why.empty() ? "" : "; ") + f.detail + (f.fix.empty() ? "" : " (fix: " + f.fix + ")");
      }
      m->note_ += "; no estimate applies either" + (why.empty() ? std::string() : ": " + why) +
                  "; energy columns stay empty with this reason";
    }
  }
  return m;
}

EnergyMeter::~EnergyMeter() {
  if (telemetry_) (void)telemetry_->Stop();
}

std::string EnergyMeter::Describe() const {
  std::string out;
  const telemetry::TelemetryReport r = telemetry_->Report();
  for (const auto& s : r.sources) {
    out += "edgelm: energy source " + s.source + " (" + s.sensor + (s.estimated ? ", ESTIMATED" : ", measured") +
           "): " + s.coverage + "\n";
  }
  if (!note_.empty()) out += "edgelm: energy: " + note_ + "\n";
  return out;
}

Status EnergyMeter::MeasureIdleBaseline() {
  if (options_.idle_s <= 0) return Status::Ok();
  return telemetry_->MeasureIdleBaseline(static_cast<int64_t>(options_.idle_s * 1e9));
}

BenchTarget& EnergyMeter::Wrap(BenchTarget& inner) {
  wrapped_ = MakeSpanRecordingTarget(inner, log_);
  return *wrapped_;
}

void EnergyMeter::Annotate(ConfigRecord& r, bool isolated) {
  const std::vector<RecordedSpan> log = log_.Take();
  EnergyRecord e;
  e.mode = options_.mode;
  e.note = note_;
  if (isolated) {
    e.note += std::string(e.note.empty() ? "" : "; ") +
              "energy is not attributed with --isolate: the spans are timed in the child process";
    r.energy = std::move(e);
    return;
  }
  if (r.status != "ok") {
    e.note += std::string(e.note.empty() ? "" : "; ") + "the configuration failed: no energy figures";
    r.energy = std::move(e);
    return;
  }
  const PhaseSpans spans = SelectMeasuredSpans(log, r.warmups);
  const size_t n_sources = telemetry_->EnergyBetween(0, 0).size();
  const std::string tag = "config " + std::to_string(n_annotated_++) + " ";
  for (const auto& [phase, list] : {std::pair{std::string("prefill"), &spans.prefill},
                                    std::pair{std::string("decode"), &spans.decode}}) {
    if (list->empty()) continue;
    for (size_t k = 0; k < n_sources; ++k) {
      // The record arrives the moment the last span ends: the sensor's next sample (at
      // most one of its intervals later) is awaited, for up to 2 s.
      const int64_t deadline_ns = list->back().end_ns + 2'000'000'000;
      PhaseEnergyFigures f = SumSpans(*telemetry_, phase, *list, k);
      while (!f.joules && f.reason.find("no sample at or after") != std::string::npos && MonotonicNs() < deadline_ns) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        f = SumSpans(*telemetry_, phase, *list, k);
      }
      e.energy.push_back(std::move(f));
    }
    // Thermal, clock and counters: over the window from the first to the last span.
    int64_t tokens = 0;
    for (const auto& s : *list) tokens += s.tokens;
    telemetry_->MarkPhase(tag + phase, list->front().start_ns, list->back().end_ns, tokens);
  }
  if (n_sources == 0 && (!spans.prefill.empty() || !spans.decode.empty())) {
    e.note += std::string(e.note.empty() ? "" : "; ") + "no energy source is sampled";
  }
  std::stable_sort(e.energy.begin(), e.energy.end(), [](const PhaseEnergyFigures& a, const PhaseEnergyFigures& b) {
    return a.phase != b.phase ? a.phase == "prefill" : (!a.estimated && b.estimated);
  });
  const telemetry::TelemetryReport rep = telemetry_->Report();
  for (const auto& p : rep.phases) {
    if (p.name.rfind(tag, 0) == 0) e.system.push_back(SystemFigures(rep, p, p.name.substr(tag.size())));
  }
  r.energy = std::move(e);
}

Status EnergyMeter::Stop() { return telemetry_->Stop(); }

}  // namespace edgelm::bench
