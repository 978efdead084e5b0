// Energy attribution for benchmark runs: a telemetry session around the runner, a
// BenchTarget decorator that records the span of every prefill, decode and request,
// and the arithmetic that turns the measured repetitions' spans into J per prompt
// token (prefill) and J per generated token (decode), per source, with thermal, clock
// and counter figures per phase.
//
//   EnergyOptions eo; eo.mode = "auto";                 // --energy
//   auto meter = EnergyMeter::Create(eo);               // before the engine's threads
//   std::fputs(meter->Describe().c_str(), stderr);      // sources, or why none
//   meter->MeasureIdleBaseline();                       // --idle-s
//   Runner runner(meter->target(engine_target), ro);    // records spans
//   ... on_record: meter->Annotate(record) before saving ...
//   meter->Stop();
//
// Which spans count: a repetition begins with the session's Reset(); the first
// `warmups` repetitions are skipped, and in each measured repetition the last prefill
// and the last decode are the test's (an earlier prefill is the --n-depth fill). A
// request contributes its prefill (request start to first token, prompt tokens) and
// its decode (first to last token, generated tokens - 1).
// Energy is summed span by span (a span the sensor cannot resolve, e.g. "too short for
// this sensor", makes the phase absent with that reason); temperature, frequency,
// throttling and counters cover the window from a phase's first to its last measured
// span (telemetry phases "config N prefill|decode"), so the counters include the
// resets between repetitions.
// Non-goals: --isolate (the child's spans stay in the child: energy is absent with that
// reason), choosing sources (telemetry does).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bench/bench_target.h"
#include "bench/energy_record.h"
#include "bench/run_record.h"
#include "core/status.h"

namespace edgelm::telemetry {
class Telemetry;
}

namespace edgelm::bench {

// One timed span the backend reported, in order. kReset marks a repetition boundary.
struct RecordedSpan {
  enum Kind { kReset, kPrefill, kDecode } kind = kReset;
  int64_t start_ns = 0, end_ns = 0;
  int64_t tokens = 0;
};

class SpanLog {
 public:
  void Add(const RecordedSpan& s);
  std::vector<RecordedSpan> Take();

 private:
  std::mutex mu_;
  std::vector<RecordedSpan> spans_;
};

// `inner` and `log` must outlive the returned target.
std::unique_ptr<BenchTarget> MakeSpanRecordingTarget(BenchTarget& inner, SpanLog& log);

// The measured prefill and decode spans of one configuration (see the file comment).
struct PhaseSpans {
  std::vector<RecordedSpan> prefill, decode;
};
PhaseSpans SelectMeasuredSpans(const std::vector<RecordedSpan>& log, int warmups);

struct EnergyOptions {
  std::string mode = "none";  // none | auto | estimate | comma list of source names
  double idle_s = 2;          // idle baseline before the first configuration (0: none)
  std::string power_cmd, power_log;
  std::string device = "auto";  // device profile for the estimate
  std::string sysfs_root;       // "" -> EDGELM_SYSFS_ROOT -> "/"
  int64_t interval_ns = 10'000'000;  // energy and counter sampling (raised to each sensor's floor)
};

// Validates --energy: the source names telemetry knows, or none/auto/estimate.
// Returns the telemetry source list ({} for auto); InvalidArgument names the bad entry.
Result<std::vector<std::string>> ParseEnergyMode(const std::string& mode);

class EnergyMeter {
 public:
  // Creates and starts the telemetry session. Fails on bad options (unknown source, a
  // profile that does not exist); a machine without sensors is not an error.
  static Result<std::unique_ptr<EnergyMeter>> Create(const EnergyOptions& options);
  ~EnergyMeter();

  // Lines for the user: each energy source with its coverage, or that no measured
  // source exists and which estimate is used (or that none applies), with fixes.
  std::string Describe() const;
  const std::string& note() const { return note_; }
  Status MeasureIdleBaseline();
  // The decorator to hand the runner (valid while this meter lives).
  BenchTarget& Wrap(BenchTarget& inner);
  // Fills r.energy from the spans recorded since the previous call.
  void Annotate(ConfigRecord& r, bool isolated = false);
  Status Stop();

  telemetry::Telemetry& telemetry() { return *telemetry_; }

 private:
  EnergyMeter() = default;
  EnergyOptions options_;
  std::unique_ptr<telemetry::Telemetry> telemetry_;
  SpanLog log_;
  std::unique_ptr<BenchTarget> wrapped_;
  std::string note_;
  int64_t n_annotated_ = 0;
};

}  // namespace edgelm::bench
