// Records with known values for the writer, store and compare tests.
#pragma once

#include "bench/run_record.h"
#include "bench/writers.h"

namespace edgelm::bench::testing {

inline RunContext TestContext() {
  RunContext c;
  c.edgelm_version = "0.1.0";
  c.build_commit = "abc1234";
  c.build_type = "Release";
  c.compiler = "GNU 12.2.0";
  c.build_flags = "-O3";
  c.target_arch = "x86_64";
  c.isa_best = "avx2";
  c.cpu_info = "Test CPU, model \"X\"";
  c.cpu_features = "x86_64 avx2";
  c.n_cores = 8;
  c.governor = "performance";
  c.mem_total_bytes = 16ull << 30;
  c.mem_available_bytes = 8ull << 30;
  c.load_avg_1min = 0.25;
  c.kernel = "Linux 6.1.0 x86_64";
  c.date = "2026-11-21T08:00:00Z";
  c.command_line = "edgelm bench -m tiny.gguf";
  c.models.push_back({"/models/tiny.gguf", "tiny.gguf", 1048576, std::string(64, 'a')});
  c.warnings.push_back("CPU frequency governor is 'powersave', not 'performance'");
  return c;
}

// pp16: samples 1 ms and 2 ms -> 16000 t/s and 8000 t/s.
inline ConfigRecord PpRecord(int n_threads = 2, std::vector<int64_t> samples_ns = {1000000, 2000000}) {
  ConfigRecord r;
  r.config.index = 0;
  r.config.model_path = "/models/tiny.gguf";
  r.config.n_threads = n_threads;
  r.config.kind = TestKind::kPrompt;
  r.config.n_prompt = 16;
  r.config.repetitions = static_cast<int>(samples_ns.size());
  r.config.warmups = 1;
  r.model_filename = "tiny.gguf";
  r.model_type = "llama 260K F32";
  r.model_sha256 = std::string(64, 'a');
  r.model_size = 1000000;
  r.model_n_params = 260000;
  r.backend = "CPU";
  r.isa = "avx2";
  r.n_threads = n_threads;
  r.n_ctx = 16;
  r.test_time = "2026-11-21T08:00:01Z";
  r.warmups = 1;
  r.n_prompt = 16;
  r.samples_ns = samples_ns;
  for (int64_t ns : samples_ns) r.samples_ts.push_back(16 * 1e9 / static_cast<double>(ns));
  r.weights_bytes = 1000000;
  r.kv_bytes = 65536;
  r.scratch_bytes = 4096;
  r.rss_after_load_bytes = 3 << 20;
  r.peak_rss_bytes = 4 << 20;
  r.peak_rss_scope = "config";
  r.load_cold_ms = 12.5;
  r.load_warm_ms = 2.5;
  return r;
}

// req4 with one repetition: TTFT 10 ms, ITLs 2, 4, 6 ms.
inline ConfigRecord RequestRecord() {
  ConfigRecord r = PpRecord();
  r.config.index = 1;
  r.config.kind = TestKind::kRequest;
  r.config.n_prompt = 0;
  r.config.n_gen = 4;
  r.config.repetitions = 1;
  r.n_prompt = 5;
  r.n_gen = 4;
  r.samples_ns = {22000000};
  r.samples_ts = {4 / 0.022};
  r.ttft_ms_samples = {10.0};
  r.itl_ms = {2.0, 4.0, 6.0};
  r.decode_ts_samples = {3 / 0.012};
  r.e2e_ts_samples = {4 / 0.022};
  r.first_eos_index = 2;
  r.generated_text = "Once, \"upon\" | a\ntime";
  r.load_cold_ms.reset();
  r.load_note = "page cache could not be dropped";
  return r;
}

inline BenchReport TestReport() {
  BenchReport report;
  report.context = TestContext();
  report.run_id = 7;
  report.records = {PpRecord(), RequestRecord()};
  return report;
}

}  // namespace edgelm::bench::testing
