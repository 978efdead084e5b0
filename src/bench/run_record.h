// The plain records a benchmark run produces: the run's context (what was measured,
// where, with what build) and one ConfigRecord per configuration, holding raw samples.
// Writers (writers.h) and the results store (results_store.h) are interchangeable
// consumers of these records; summaries are derived from the raw samples on demand.
// A value that was not measured is an empty optional (null in JSON, an empty CSV cell,
// "-" in Markdown), never 0.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "bench/energy_record.h"
#include "bench/statistics.h"
#include "bench/sweep.h"
#include "core/status.h"

namespace edgelm::bench {

struct ModelFileInfo {
  std::string path;
  std::string filename;  // base name
  uint64_t size_bytes = 0;
  std::string sha256;    // hex; empty when hashing was skipped
};

// MEASUREMENT.md "Context recorded with every run".
struct RunContext {
  std::string edgelm_version, build_commit, build_type, compiler, build_flags, target_arch;
  bool debug_build = false, sanitizers = false;
  std::string isa_best;      // fastest kernel path on this machine
  std::string cpu_info;      // CPU model
  std::string cpu_features;  // one-line feature list
  int n_cores = 0;           // CPUs online
  std::optional<std::string> governor;
  std::optional<uint64_t> mem_total_bytes, mem_available_bytes;
  std::optional<double> load_avg_1min;
  std::string kernel;        // uname
  std::string date;          // ISO 8601 UTC, when the run started
  std::string command_line;
  std::vector<ModelFileInfo> models;
  std::vector<std::string> warnings;  // printed, and kept with the results
};

// Everything here except the models and the command line. Cheap (no file hashing).
RunContext CollectRunContext();
// Size and (when hash is true) sha256 of a model file: from the digest cache while the
// file is unchanged, else streamed (bench/sha256.h Sha256FileCached).
Result<ModelFileInfo> DescribeModelFile(const std::string& path, bool hash = true);
// Warnings that make numbers unrepresentative: debug or sanitizer build, a governor
// other than "performance", load average above half the cores.
std::vector<std::string> EnvironmentWarnings(const RunContext& context);

struct ConfigRecord {
  BenchConfig config;
  std::string status = "ok";  // "ok" or "error"
  std::string error;          // why, when status is "error"

  // The model as the backend describes it (llama-bench names).
  std::string model_filename, model_type, model_sha256;
  std::optional<uint64_t> model_size, model_n_params;
  std::string backend;      // "CPU"
  std::string isa;          // kernel path the backend used
  int n_threads = 0;        // threads the backend used
  uint32_t n_ctx = 0;       // context the session was opened with
  std::string test_time;    // ISO 8601 UTC, when the configuration started
  int warmups = 0;          // warmup repetitions run and excluded
  uint32_t n_prompt = 0;    // prompt tokens (request test: the tokenized prompt)
  uint32_t n_gen = 0;

  // One value per measured repetition. Throughput tokens = n_prompt + n_gen.
  std::vector<int64_t> samples_ns;
  std::vector<double> samples_ts;

  // Request test: per repetition, and every inter-token latency of every repetition.
  std::vector<double> ttft_ms_samples, decode_ts_samples, e2e_ts_samples, itl_ms;
  bool eos_ignored = true;                 // generation is fixed-length
  std::optional<uint32_t> first_eos_index; // request: the first generated end-of-generation token
  std::string generated_text;              // request: text of the last repetition

  // Memory.
  std::optional<uint64_t> weights_bytes, kv_bytes, scratch_bytes;
  std::optional<uint64_t> rss_after_load_bytes, peak_rss_bytes;
  // "child" (own process, --isolate), "config" (VmHWM reset before the configuration) or
  // "process" (VmHWM could not be reset: the peak of the whole process so far).
  std::string peak_rss_scope;
  // Load of the model this configuration used: cold (pages dropped first) and warm.
  std::optional<double> load_cold_ms, load_warm_ms;
  std::string load_note;  // why a load figure is absent

  // Energy, power, thermal, clock and counter figures with their sources (--energy);
  // absent when energy was not requested.
  std::optional<EnergyRecord> energy;
};

// Summaries derived from a record's raw samples (what writers print).
struct DerivedMetrics {
  SampleSummary ns, ts;
  std::optional<double> ttft_ms, itl_p50_ms, itl_p90_ms, itl_p99_ms, decode_ts, e2e_ts;
};
DerivedMetrics Derive(const ConfigRecord& r);

nlohmann::json RunContextToJson(const RunContext& c);
Result<RunContext> RunContextFromJson(const nlohmann::json& j);
// Flat object with llama-bench field names where they coincide (model_filename,
// n_threads, avg_ts, samples_ns...) plus ours; derived summaries are included.
nlohmann::json RecordToJson(const ConfigRecord& r);
// Reads back what RecordToJson wrote (derived fields are ignored and recomputed).
Result<ConfigRecord> RecordFromJson(const nlohmann::json& j);

}  // namespace edgelm::bench
