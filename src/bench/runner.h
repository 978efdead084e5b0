// The benchmark runner: runs expanded configurations against a BenchTarget and produces
// one ConfigRecord per configuration (raw samples kept), handing each to a callback the
// moment it is complete (the CLI saves it to the results store there).
//
// Per configuration: cooldown (--delay), priority, the model (loaded once for
// consecutive configurations of the same model: cold load after dropping its pages,
// then a warm load, RSS after load), peak-RSS reset, a session with the configuration's
// parameters, warmup repetitions (run, excluded, counted), measured repetitions, memory.
// With isolate, each configuration runs in a forked child (its own load and its own
// peak RSS) and the record comes back over a pipe as JSON.
//
// Ctrl-C: the interrupt flag is checked between configurations, so the configuration in
// flight is finished and delivered; the run then stops with `interrupted` set.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "bench/bench_target.h"
#include "bench/run_record.h"
#include "bench/sweep.h"
#include "core/status.h"

namespace edgelm::bench {

struct RunnerOptions {
  bool isolate = false;
  double delay_s = 0;              // cooldown before every configuration but the first
  std::string request_prompt;      // text of the request test
  // Measure a cold load (drop the file's pages first) as well as a warm one.
  bool cold_load = true;
  bool progress = false;           // a progress line with ETA on stderr
  std::map<std::string, std::string> model_sha256;  // path -> hex, copied into records
  const std::atomic<bool>* interrupt = nullptr;     // set by the Ctrl-C handler
  std::function<void(const std::string&)> warn;     // warnings (default: stderr)
};

struct RunOutcome {
  std::vector<ConfigRecord> records;  // in the order they ran
  int skipped = 0;                    // already complete (--resume)
  bool interrupted = false;
};

class Runner {
 public:
  Runner(BenchTarget& target, RunnerOptions options);
  ~Runner();

  // Runs `configs` in order, skipping those whose Key() is in `skip`. `on_record` is
  // called once per finished configuration (also for a configuration that failed: its
  // record has status "error"); a non-OK Status from it stops the run and is returned.
  Result<RunOutcome> Run(const std::vector<BenchConfig>& configs, const std::set<std::string>& skip,
                         const std::function<Status(const ConfigRecord&)>& on_record);

  // One configuration in this process (what an isolated child runs).
  ConfigRecord RunConfig(const BenchConfig& config);

 private:
  struct Loaded;
  ConfigRecord RunIsolated(const BenchConfig& config);
  Status EnsureModel(const std::string& path, ConfigRecord& record);
  Status RunRepetition(BenchSession& session, const BenchConfig& config, bool measured, ConfigRecord& record);
  void Warn(const std::string& message);
  void Progress(const BenchConfig& config, int rep);
  bool Interrupted() const { return options_.interrupt && options_.interrupt->load(); }

  BenchTarget& target_;
  RunnerOptions options_;
  std::unique_ptr<Loaded> loaded_;
  // Progress bookkeeping.
  int progress_done_ = 0, progress_total_ = 0;
  int64_t progress_start_ns_ = 0;
  int current_priority_ = 0;
};

// Sleeps up to `seconds`, returning early when the interrupt flag is set.
void InterruptibleSleep(double seconds, const std::atomic<bool>* interrupt);

}  // namespace edgelm::bench
