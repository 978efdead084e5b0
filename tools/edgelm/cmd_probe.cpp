// edgelm probe [-m MODEL | --bytes N] [-t N] [--isa ...] [--seconds S] [--json]: the
// machine's limits as the engine sees them (read bandwidth with the engine's thread
// pool, peak MAC rate per kernel family and ISA path) and, for a model, the roofline:
// decode tokens/s the bandwidth allows and prefill tokens/s the compute allows.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "command_registry.h"
#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "gguf/gguf_reader.h"
#include "probe/probe.h"

namespace edgelm::cli {
namespace {

struct ProbeOptions {
  std::string model;
  std::string bytes = "256M";
  bool bytes_given = false;
  int threads = 0;
  std::string isa = "all";
  double seconds = 0.3;
  bool json = false;
};

double Giga(double v) { return v * 1e-9; }

int RunProbe(const ProbeOptions& o) {
  const CpuFeatures& cpu = DetectCpuFeatures();
  if (!(o.seconds > 0.0) || o.seconds > 60.0)
    return UsageError("--seconds must be in (0, 60], got " + std::to_string(o.seconds));
  const int n_threads = o.threads > 0 ? o.threads : AvailableCpuCount();
  if (o.threads < 0)
    return UsageError("--threads must be >= 0 (0: all CPUs), got " + std::to_string(o.threads));

  std::vector<Isa> isas;
  if (o.isa == "all") {
    isas = AvailableIsas(cpu);
  } else {
    auto isa = ParseIsa(o.isa, cpu);
    if (!isa.ok()) return ReportError(isa.status());
    isas.push_back(*isa);
  }

  std::unique_ptr<GgufFile> file;
  ModelCost cost;
  uint64_t buffer_bytes = 0;
  if (!o.model.empty()) {
    auto opened = GgufFile::Open(o.model);
    if (!opened.ok()) return ReportError(opened.status());
    file = std::move(*opened);
    auto c = ComputeModelCost(*file);
    if (!c.ok()) return ReportError(c.status());
    cost = *c;
    buffer_bytes = cost.weight_bytes_per_token;
  }
  if (o.model.empty() || o.bytes_given) {
    auto b = ParseByteCount(o.bytes);
    if (!b.ok()) return ReportError(b.status());
    buffer_bytes = *b;
  }

  nlohmann::ordered_json j;
  j["cpu"] = DescribeCpuFeatures(cpu);
  j["threads"] = n_threads;
  ThreadPool pool_n(n_threads);
  ThreadPool pool_1(1);
  std::vector<int> counts = {1};
  if (n_threads > 1) counts.push_back(n_threads);

  double bandwidth_n = 0.0;
  for (int n : counts) {
    auto bw = MeasureReadBandwidth(n == 1 ? pool_1 : pool_n, buffer_bytes, o.seconds);
    if (!bw.ok()) return ReportError(bw.status());
    nlohmann::ordered_json e;
    e["threads"] = n;
    e["buffer_bytes"] = bw->buffer_bytes;
    e["bytes_per_s"] = bw->bytes_per_s;  // median pass
    e["best_bytes_per_s"] = bw->best_bytes_per_s;
    e["passes"] = bw->passes;
    j["bandwidth"].push_back(e);
    bandwidth_n = bw->bytes_per_s;
  }
  for (Isa isa : isas) {
    for (MacFamily f : {MacFamily::kInt8, MacFamily::kF16, MacFamily::kF32}) {
      nlohmann::ordered_json e;
      e["isa"] = IsaName(isa);
      e["family"] = MacFamilyName(f);
      for (int n : counts) {
        auto p = MeasurePeakMacs(n == 1 ? pool_1 : pool_n, isa, f, o.seconds / 3.0);
        if (!p.ok()) return ReportError(p.status());
        e["instruction"] = p->instruction;
        e[n == 1 ? "macs_per_s_1" : "macs_per_s_n"] = p->macs_per_s;
        if (n_threads == 1) e["macs_per_s_n"] = p->macs_per_s;
      }
      j["peak"].push_back(e);
    }
  }
  if (file) {
    nlohmann::ordered_json m;
    m["path"] = o.model;
    m["weight_bytes_per_token"] = cost.weight_bytes_per_token;
    m["macs_per_token"] = cost.macs_per_token;
    m["parameters"] = cost.parameters;
    m["dominant_type"] = GgmlTypeName(cost.dominant_type);
    const MacFamily family = MacFamilyForType(cost.dominant_type);
    m["family"] = MacFamilyName(family);
    for (const auto& e : j["peak"]) {
      if (e["family"] != MacFamilyName(family)) continue;
      const Roofline r = ComputeRoofline(cost.weight_bytes_per_token, cost.macs_per_token,
                                         bandwidth_n, e["macs_per_s_n"].get<double>());
      nlohmann::ordered_json rl;
      rl["isa"] = e["isa"];
      rl["decode_tokens_per_s"] = r.decode_tokens_per_s;
      rl["prefill_tokens_per_s"] = r.prefill_tokens_per_s;
      m["roofline"].push_back(rl);
    }
    j["model"] = m;
  }

  if (o.json) {
    std::printf("%s\n", j.dump(2).c_str());
    return std::fflush(stdout) == 0 ? kExitOk : kExitFailure;
  }
  std::printf("cpu: %s\n", j["cpu"].get<std::string>().c_str());
  for (const auto& e : j["bandwidth"]) {
    std::printf("read bandwidth, %d thread(s), %llu-byte buffer: %.2f GB/s (median of %d passes; best %.2f)\n",
                e["threads"].get<int>(),
                static_cast<unsigned long long>(e["buffer_bytes"].get<uint64_t>()),
                Giga(e["bytes_per_s"].get<double>()), e["passes"].get<int>(),
                Giga(e["best_bytes_per_s"].get<double>()));
  }
  std::printf("\n%-8s %-6s %14s %14s  %s\n", "isa", "family", "GMAC/s 1 thr", "GMAC/s N thr",
              "instruction");
  for (const auto& e : j["peak"]) {
    std::printf("%-8s %-6s %14.2f %14.2f  %s\n", e["isa"].get<std::string>().c_str(),
                e["family"].get<std::string>().c_str(), Giga(e["macs_per_s_1"].get<double>()),
                Giga(e["macs_per_s_n"].get<double>()), e["instruction"].get<std::string>().c_str());
  }
  if (file) {
    const auto& m = j["model"];
    std::printf(
        "\nmodel %s: %llu weight bytes per token, %llu MACs per token (%s weights, %s kernels)\n",
        o.model.c_str(), static_cast<unsigned long long>(cost.weight_bytes_per_token),
        static_cast<unsigned long long>(cost.macs_per_token),
        m["dominant_type"].get<std::string>().c_str(), m["family"].get<std::string>().c_str());
    std::printf("%-8s %22s %22s\n", "isa", "decode tok/s <= (bw)", "prefill tok/s <= (MAC)");
    for (const auto& r : m["roofline"]) {
      std::printf("%-8s %22.2f %22.2f\n", r["isa"].get<std::string>().c_str(),
                  r["decode_tokens_per_s"].get<double>(), r["prefill_tokens_per_s"].get<double>());
    }
  }
  return std::fflush(stdout) == 0 ? kExitOk : kExitFailure;
}

CommandRunner AddProbe(CLI::App& root) {
  auto opts = std::make_shared<ProbeOptions>();
  CLI::App* sub = root.add_subcommand(
      "probe",
      "Measure read bandwidth and peak multiply-accumulate rates with the engine's thread pool; "
      "with -m, print the model's decode/prefill roofline");
  sub->add_option("-m,--model", opts->model,
                  "GGUF model: bandwidth buffer = its weight bytes per token");
  sub->add_option("--bytes", opts->bytes,
                  "Bandwidth buffer size (e.g. 256M, 32K; default 256M without -m)")
      ->each([opts](const std::string&) { opts->bytes_given = true; });
  sub->add_option("-t,--threads", opts->threads, "Threads (0: all available CPUs)");
  sub->add_option("--isa", opts->isa,
                  "ISA path to measure: all (default), scalar, avx2, avx512, neon, neon-dot, auto");
  sub->add_option("--seconds", opts->seconds, "Measuring time per figure in seconds (default 0.3)");
  sub->add_flag("--json", opts->json, "Print JSON");
  return [opts] { return RunProbe(*opts); };
}

}  // namespace

EDGELM_REGISTER_COMMAND(85, AddProbe);

}  // namespace edgelm::cli
