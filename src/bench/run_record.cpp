#include "bench/run_record.h"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "bench/sha256.h"
#include "bench/system_probe.h"
#include "core/build_info.h"
#include "core/clock.h"
#include "core/cpu_features.h"
#include "core/mapped_file.h"

namespace edgelm::bench {
namespace {

using nlohmann::json;

template <typename T>
json Opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

template <typename T>
std::optional<T> GetOpt(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  return it->get<T>();
}

}  // namespace

RunContext CollectRunContext() {
  RunContext c;
  const BuildInfo& b = GetBuildInfo();
  c.edgelm_version = b.version;
  c.build_commit = b.git_commit;
  c.build_type = b.build_type;
  c.compiler = b.compiler;
  c.build_flags = b.flags;
  c.target_arch = b.target_arch;
  c.debug_build = b.debug;
  c.sanitizers = b.sanitizers;
  const CpuFeatures& cpu = DetectCpuFeatures();
  c.isa_best = IsaName(BestIsa(cpu));
  c.cpu_info = cpu.cpu_model.empty() ? cpu.arch : cpu.cpu_model;
  c.cpu_features = DescribeCpuFeatures(cpu);
  c.n_cores = OnlineCpuCount();
  c.governor = CpuGovernors();
  c.mem_total_bytes = ReadMemInfoBytes("MemTotal");
  c.mem_available_bytes = ReadMemInfoBytes("MemAvailable");
  c.load_avg_1min = LoadAverage1Min();
  c.kernel = KernelDescription();
  c.date = IsoUtc(WallClockNs());
  return c;
}

Result<ModelFileInfo> DescribeModelFile(const std::string& path, bool hash) {
  ModelFileInfo info;
  info.path = path;
  info.filename = std::filesystem::path(path).filename().string();
  EDGELM_ASSIGN_OR_RETURN(info.size_bytes, FileSizeBytes(path));
  if (hash) {
    EDGELM_ASSIGN_OR_RETURN(FileDigest digest, Sha256FileCached(path, DefaultDigestCachePath()));
    info.sha256 = std::move(digest.sha256);
  }
  return info;
}

std::vector<std::string> EnvironmentWarnings(const RunContext& c) {
  std::vector<std::string> w;
  if (c.debug_build) {
    w.push_back("this is an unoptimised (" + c.build_type +
                ") build: its timings are not representative; use the release build");
  }
  if (c.sanitizers) w.push_back("this build has AddressSanitizer/UBSan: timings are several times slower than release");
  if (c.governor && *c.governor != "performance") {
    w.push_back("CPU frequency governor is '" + *c.governor +
                "', not 'performance': clocks may ramp during the run and add variance");
  }
  if (c.load_avg_1min && *c.load_avg_1min > 0.5 * c.n_cores) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "load average %.2f is above half of the %d CPUs: other work competes with the benchmark",
                  *c.load_avg_1min, c.n_cores);
    w.push_back(buf);
  }
  return w;
}

DerivedMetrics Derive(const ConfigRecord& r) {
  DerivedMetrics d;
  std::vector<double> ns(r.samples_ns.begin(), r.samples_ns.end());
  d.ns = Summarize(ns);
  d.ts = Summarize(r.samples_ts);
  d.ttft_ms = Summarize(r.ttft_ms_samples).mean;
  d.decode_ts = Summarize(r.decode_ts_samples).mean;
  d.e2e_ts = Summarize(r.e2e_ts_samples).mean;
  d.itl_p50_ms = Percentile(r.itl_ms, 50);
  d.itl_p90_ms = Percentile(r.itl_ms, 90);
  d.itl_p99_ms = Percentile(r.itl_ms, 99);
  return d;
}

json RunContextToJson(const RunContext& c) {
  json models = json::array();
  for (const auto& m : c.models) {
    models.push_back({{"path", m.path}, {"filename", m.filename}, {"size_bytes", m.size_bytes}, {"sha256", m.sha256}});
  }
  return {{"edgelm_version", c.edgelm_version}, {"build_commit", c.build_commit}, {"build_type", c.build_type},
          {"compiler", c.compiler}, {"build_flags", c.build_flags}, {"target_arch", c.target_arch},
          {"debug_build", c.debug_build}, {"sanitizers", c.sanitizers}, {"isa_best", c.isa_best},
          {"cpu_info", c.cpu_info}, {"cpu_features", c.cpu_features}, {"n_cores", c.n_cores},
          {"governor", Opt(c.governor)}, {"mem_total_bytes", Opt(c.mem_total_bytes)},
          {"mem_available_bytes", Opt(c.mem_available_bytes)}, {"load_avg_1min", Opt(c.load_avg_1min)},
          {"kernel", c.kernel}, {"date", c.date}, {"command_line", c.command_line}, {"models", models},
          {"warnings", c.warnings}};
}

Result<RunContext> RunContextFromJson(const json& j) {
  RunContext c;
  try {
    j.at("edgelm_version").get_to(c.edgelm_version);
    j.at("build_commit").get_to(c.build_commit);
    j.at("build_type").get_to(c.build_type);
    j.at("compiler").get_to(c.compiler);
    j.at("build_flags").get_to(c.build_flags);
    j.at("target_arch").get_to(c.target_arch);
    j.at("debug_build").get_to(c.debug_build);
    j.at("sanitizers").get_to(c.sanitizers);
    j.at("isa_best").get_to(c.isa_best);
    j.at("cpu_info").get_to(c.cpu_info);
    j.at("cpu_features").get_to(c.cpu_features);
    j.at("n_cores").get_to(c.n_cores);
    c.governor = GetOpt<std::string>(j, "governor");
    c.mem_total_bytes = GetOpt<uint64_t>(j, "mem_total_bytes");
    c.mem_available_bytes = GetOpt<uint64_t>(j, "mem_available_bytes");
    c.load_avg_1min = GetOpt<double>(j, "load_avg_1min");
    j.at("kernel").get_to(c.kernel);
    j.at("date").get_to(c.date);
    j.at("command_line").get_to(c.command_line);
    for (const auto& m : j.at("models")) {
      c.models.push_back({m.at("path").get<std::string>(), m.at("filename").get<std::string>(),
                          m.at("size_bytes").get<uint64_t>(), m.at("sha256").get<std::string>()});
    }
    j.at("warnings").get_to(c.warnings);
  } catch (const json::exception& e) {
    return CorruptError(std::string("run context JSON is malformed: ") + e.what());
  }
  return c;
}

namespace {

json RecordToJsonWithoutEnergy(const ConfigRecord& r) {
  const DerivedMetrics d = Derive(r);
  const BenchConfig& c = r.config;
  return {
      // Configuration (llama-bench names first).
      {"model_filename", r.model_filename}, {"model_type", r.model_type}, {"model_size", Opt(r.model_size)},
      {"model_n_params", Opt(r.model_n_params)}, {"model_sha256", r.model_sha256}, {"backend", r.backend},
      {"n_batch", c.n_batch}, {"n_threads", r.n_threads}, {"cpu_mask", c.cpu_mask}, {"type_k", c.type_k},
      {"n_prompt", r.n_prompt}, {"n_gen", r.n_gen}, {"n_depth", c.n_depth}, {"test_time", r.test_time},
      {"avg_ns", Opt(d.ns.mean)}, {"stddev_ns", Opt(d.ns.stddev)}, {"avg_ts", Opt(d.ts.mean)},
      {"stddev_ts", Opt(d.ts.stddev)}, {"samples_ns", r.samples_ns}, {"samples_ts", r.samples_ts},
      // Ours.
      {"test", c.TestName()}, {"test_kind", TestKindName(c.kind)}, {"config_index", c.index},
      {"config_key", c.Key()}, {"model_path", c.model_path}, {"n_ctx", r.n_ctx}, {"n_ctx_requested", c.n_ctx},
      {"n_threads_requested", c.n_threads}, {"isa_requested", c.isa}, {"isa", r.isa},
      {"priority", c.priority}, {"n_prompt_requested", c.n_prompt}, {"n_gen_requested", c.n_gen},
      {"repetitions", c.repetitions}, {"warmups", r.warmups}, {"warmups_requested", c.warmups},
      {"status", r.status}, {"error", r.error},
      {"median_ts", Opt(d.ts.median)}, {"min_ts", Opt(d.ts.min)}, {"max_ts", Opt(d.ts.max)},
      {"cv_ts", Opt(d.ts.cv)}, {"ci95_low_ts", Opt(d.ts.ci95_low)}, {"ci95_high_ts", Opt(d.ts.ci95_high)},
      {"high_cv", d.ts.high_cv}, {"median_ns", Opt(d.ns.median)},
      {"ttft_ms", Opt(d.ttft_ms)}, {"itl_p50_ms", Opt(d.itl_p50_ms)}, {"itl_p90_ms", Opt(d.itl_p90_ms)},
      {"itl_p99_ms", Opt(d.itl_p99_ms)}, {"decode_ts", Opt(d.decode_ts)}, {"e2e_ts", Opt(d.e2e_ts)},
      {"samples_ttft_ms", r.ttft_ms_samples}, {"samples_decode_ts", r.decode_ts_samples},
      {"samples_e2e_ts", r.e2e_ts_samples}, {"samples_itl_ms", r.itl_ms}, {"eos_ignored", r.eos_ignored},
      {"first_eos_index", Opt(r.first_eos_index)}, {"generated_text", r.generated_text},
      {"weights_bytes", Opt(r.weights_bytes)}, {"kv_bytes", Opt(r.kv_bytes)}, {"scratch_bytes", Opt(r.scratch_bytes)},
      {"rss_after_load_bytes", Opt(r.rss_after_load_bytes)}, {"peak_rss_bytes", Opt(r.peak_rss_bytes)},
      {"peak_rss_scope", r.peak_rss_scope}, {"load_cold_ms", Opt(r.load_cold_ms)},
      {"load_warm_ms", Opt(r.load_warm_ms)}, {"load_note", r.load_note}};
}

}  // namespace

json RecordToJson(const ConfigRecord& r) {
  json j = RecordToJsonWithoutEnergy(r);
  j["energy"] = r.energy ? EnergyRecordToJson(*r.energy) : json(nullptr);
  const json flat = EnergyFlatFields(r.energy);
  for (const auto& [k, v] : flat.items()) j[k] = v;
  return j;
}


Result<ConfigRecord> RecordFromJson(const json& j) {
  ConfigRecord r;
  BenchConfig& c = r.config;
  try {
    j.at("model_filename").get_to(r.model_filename);
    j.at("model_type").get_to(r.model_type);
    j.at("model_sha256").get_to(r.model_sha256);
    r.model_size = GetOpt<uint64_t>(j, "model_size");
    r.model_n_params = GetOpt<uint64_t>(j, "model_n_params");
    j.at("backend").get_to(r.backend);
    j.at("n_batch").get_to(c.n_batch);
    j.at("n_threads").get_to(r.n_threads);
    j.at("cpu_mask").get_to(c.cpu_mask);
    j.at("type_k").get_to(c.type_k);
    j.at("n_prompt").get_to(r.n_prompt);
    j.at("n_gen").get_to(r.n_gen);
    j.at("n_depth").get_to(c.n_depth);
    j.at("test_time").get_to(r.test_time);
    j.at("samples_ns").get_to(r.samples_ns);
    j.at("samples_ts").get_to(r.samples_ts);
    const std::string kind = j.at("test_kind").get<std::string>();
    if (kind == "pp") c.kind = TestKind::kPrompt;
    else if (kind == "tg") c.kind = TestKind::kGen;
    else if (kind == "pg") c.kind = TestKind::kPromptGen;
    else if (kind == "req") c.kind = TestKind::kRequest;
    else return CorruptError("unknown test_kind '" + kind + "' in a stored record");
    j.at("config_index").get_to(c.index);
    j.at("model_path").get_to(c.model_path);
    j.at("n_ctx").get_to(r.n_ctx);
    j.at("n_ctx_requested").get_to(c.n_ctx);
    j.at("n_threads_requested").get_to(c.n_threads);
    j.at("isa_requested").get_to(c.isa);
    j.at("isa").get_to(r.isa);
    j.at("priority").get_to(c.priority);
    j.at("n_prompt_requested").get_to(c.n_prompt);
    j.at("n_gen_requested").get_to(c.n_gen);
    j.at("repetitions").get_to(c.repetitions);
    j.at("warmups").get_to(r.warmups);
    j.at("warmups_requested").get_to(c.warmups);
    j.at("status").get_to(r.status);
    j.at("error").get_to(r.error);
    j.at("samples_ttft_ms").get_to(r.ttft_ms_samples);
    j.at("samples_decode_ts").get_to(r.decode_ts_samples);
    j.at("samples_e2e_ts").get_to(r.e2e_ts_samples);
    j.at("samples_itl_ms").get_to(r.itl_ms);
    j.at("eos_ignored").get_to(r.eos_ignored);
    r.first_eos_index = GetOpt<uint32_t>(j, "first_eos_index");
    j.at("generated_text").get_to(r.generated_text);
    r.weights_bytes = GetOpt<uint64_t>(j, "weights_bytes");
    r.kv_bytes = GetOpt<uint64_t>(j, "kv_bytes");
    r.scratch_bytes = GetOpt<uint64_t>(j, "scratch_bytes");
    r.rss_after_load_bytes = GetOpt<uint64_t>(j, "rss_after_load_bytes");
    r.peak_rss_bytes = GetOpt<uint64_t>(j, "peak_rss_bytes");
    j.at("peak_rss_scope").get_to(r.peak_rss_scope);
    r.load_cold_ms = GetOpt<double>(j, "load_cold_ms");
    r.load_warm_ms = GetOpt<double>(j, "load_warm_ms");
    j.at("load_note").get_to(r.load_note);
    if (auto it = j.find("energy"); it != j.end() && !it->is_null()) {
      EDGELM_ASSIGN_OR_RETURN(r.energy, EnergyRecordFromJson(*it));
    }
  } catch (const json::exception& e) {
    return CorruptError(std::string("benchmark record JSON is malformed: ") + e.what());
  }
  if (c.Key() != j.value("config_key", c.Key())) {
    return CorruptError("benchmark record's config_key does not match its fields (edited by hand?)");
  }
  return r;
}

}  // namespace edgelm::bench
