// `edgelm fit`: will a model run on a device — memory (weights, KV cache, scratch,
// overhead) against the device's usable memory, the largest context, which weight types
// fit, and the roofline prediction of decode and prefill speed. On this-machine with a
// file it also runs a short real decode and reports the prediction error. The
// arithmetic lives in src/analysis (fit.h); this file parses, measures and prints.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include "analysis/bandwidth.h"
#include "analysis/fit.h"
#include "cli_common.h"
#include "command_registry.h"
#include "core/thread_pool.h"
#include "telemetry/sysfs.h"

namespace edgelm::cli {
namespace {

struct FitFlags {
  std::string model_path;
  std::string shape;
  std::string device = "this-machine";
  std::string device_dir;
  std::string mode;
  uint32_t n_ctx = 4096;
  std::string kv_type = "f16";
  std::string weight_type;
  int threads = 0;
  bool json = false;
  bool no_run = false;
  std::string sysfs_root;
};

// Decode speed measured through the engine API: prefill 16 tokens, decode 32 greedily.
struct MeasuredDecode {
  double tokens_per_s = 0;
  uint32_t n_tokens = 0;
  uint32_t mean_position = 0;  // mean n_past of the decode steps
  int n_threads = 0;
};

constexpr uint32_t kPrefillTokens = 16;
constexpr uint32_t kDecodeTokens = 32;

Result<MeasuredDecode> MeasureDecode(const std::string& path, KvCacheType kv, int threads) {
  EDGELM_ASSIGN_OR_RETURN(std::unique_ptr<Model> model, LoadModelForCli(path));
  SessionOptions so;
  so.n_ctx = kPrefillTokens + kDecodeTokens + 1;
  so.kv_type = kv;
  so.n_threads = threads;
  EDGELM_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, model->NewSession(so));
  const uint32_t n_vocab = model->info().n_vocab;
  std::vector<int32_t> prompt;
  // Fixed, valid ids spread over the vocabulary: the speed does not depend on the text.
  for (uint32_t i = 0; i < kPrefillTokens; ++i) prompt.push_back(static_cast<int32_t>((1 + 97 * i) % n_vocab));
  EDGELM_RETURN_IF_ERROR(session->Prefill(prompt));
  session->ClearTimings();
  for (uint32_t i = 0; i < kDecodeTokens; ++i) {
    std::span<const float> logits = session->Logits();
    const auto best = std::max_element(logits.begin(), logits.end()) - logits.begin();
    EDGELM_RETURN_IF_ERROR(session->Decode(static_cast<int32_t>(best)));
  }
  int64_t ns = 0;
  uint64_t positions = 0;
  uint32_t steps = 0;
  for (const PhaseEvent& e : session->events()) {
    if (e.kind != PhaseEvent::kDecode) continue;
    ns += e.end_ns - e.start_ns;
    positions += e.n_past;
    steps += e.n_tokens;
  }
  if (steps == 0 || ns <= 0) return InternalError("the engine recorded no decode events");
  MeasuredDecode m;
  m.n_tokens = steps;
  m.tokens_per_s = steps / (static_cast<double>(ns) * 1e-9);
  m.mean_position = static_cast<uint32_t>(positions / steps);
  m.n_threads = session->n_threads();
  return m;
}

int RunFit(const FitFlags& f) {
  if (f.model_path.empty() == f.shape.empty()) return UsageError("give exactly one of -m FILE or --shape NAME");
  if (!f.model_path.empty() && !f.weight_type.empty()) {
    return UsageError("--type applies to --shape; a file's weights are what it stores (the weight-type table covers the others)");
  }
  auto kv = ParseKvCacheType(f.kv_type);
  if (!kv.ok()) return ReportError(kv.status());
  const telemetry::SysfsRoot root = telemetry::SysfsRoot::FromFlagOrEnv(f.sysfs_root);
  const std::string dir = f.device_dir.empty() ? telemetry::DeviceProfileDir() : f.device_dir;
  auto device = analysis::FindDeviceSpec(f.device, dir, root);
  if (!device.ok()) return ReportError(device.status());

  analysis::ModelShape shape;
  std::unique_ptr<GgufFile> file;
  if (!f.model_path.empty()) {
    auto opened = GgufFile::Open(f.model_path);
    if (!opened.ok()) return ReportError(opened.status());
    file = std::move(*opened);
    auto s = analysis::ShapeFromGguf(*file);
    if (!s.ok()) return ReportError(s.status());
    shape = std::move(*s);
  } else {
    auto s = analysis::ShapeFromPreset(f.shape);
    if (!s.ok()) return ReportError(s.status());
    shape = std::move(*s);
  }
  const bool this_machine = device->id() == "this-machine";
  if (!device->memory_bandwidth_bytes_per_s && this_machine) {
    // 256 MiB: well beyond any last-level cache, a fraction of a second to read.
    auto bw = analysis::MeasureReadBandwidth(256u << 20, f.threads, 4);
    if (!bw.ok()) return ReportError(bw.status());
    device->memory_bandwidth_bytes_per_s = *bw;
  }
  analysis::FitOptions o;
  o.n_ctx = f.n_ctx;
  o.kv_type = *kv;
  o.weight_type = f.weight_type;
  o.n_threads = f.threads > 0 ? f.threads : AvailableCpuCount();
  o.power_mode = f.mode;
  auto report = analysis::Fit(shape, *device, o);
  if (!report.ok()) return ReportError(report.status());

  nlohmann::ordered_json measured = nullptr;
  std::string measured_text;
  if (this_machine && file && !f.no_run && report->memory_bandwidth_bytes_per_s) {
    auto m = MeasureDecode(f.model_path, *kv, f.threads);
    if (!m.ok()) return ReportError(m.status().WithContext("measuring decode"));
    // The prediction at the measured mean position (the KV cache read grows with it).
    const double bytes = static_cast<double>(report->decode_bytes_per_token_start +
                                             analysis::KvCacheBytes(shape, m->mean_position, *kv));
    const double predicted = report->memory_bandwidth_bytes_per_s->value / bytes;
    auto err = analysis::PredictionError(predicted, m->tokens_per_s);
    if (!err.ok()) return ReportError(err.status());
    measured = {{"kind", "measured on this machine through the engine API"},
                {"prefill_tokens", kPrefillTokens},
                {"decode_tokens", m->n_tokens},
                {"threads", m->n_threads},
                {"mean_position", m->mean_position},
                {"decode_tokens_per_s", m->tokens_per_s},
                {"predicted_decode_tokens_per_s", predicted},
                {"prediction_error", *err}};
    char buf[256];
    std::snprintf(buf, sizeof(buf),
                  "\nmeasured (this machine, %d threads): %.2f tokens/s decoding %u tokens after a %u-token prompt\n"
                  "predicted at the same position: %.2f tokens/s, error %+.1f%%\n",
                  m->n_threads, m->tokens_per_s, m->n_tokens, kPrefillTokens, predicted, *err * 100.0);
    measured_text = buf;
  }
  if (f.json) {
    nlohmann::ordered_json j = analysis::FitReportJson(*report);
    j["measured"] = measured;
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::fputs(analysis::FitReportText(*report).c_str(), stdout);
    std::fputs(measured_text.c_str(), stdout);
  }
  return std::fflush(stdout) == 0 ? kExitOk : kExitFailure;
}

CommandRunner AddFit(CLI::App& root) {
  auto flags = std::make_shared<FitFlags>();
  CLI::App* sub = root.add_subcommand(
      "fit", "Will a model fit a device: memory (weights, KV cache, scratch, overhead) against usable memory, "
             "the largest context, which weight types fit, and the roofline prediction of decode/prefill speed");
  sub->add_option("-m,--model", flags->model_path, "GGUF model file (exact weight bytes)");
  sub->add_option("--shape", flags->shape, "A model shape preset instead of a file (see `edgelm synth --help`)");
  sub->add_option("--device", flags->device, "Device profile id from data/devices, or a .toml path")
      ->capture_default_str();
  sub->add_option("--device-dir", flags->device_dir, "Directory of device profiles (default: env EDGELM_DEVICE_DIR, else data/devices)");
  sub->add_option("--mode", flags->mode, "Power mode of the device profile (e.g. 15W on a Jetson)");
  sub->add_option("-c,--ctx", flags->n_ctx, "Context length in tokens")->capture_default_str()->check(CLI::Range(1u, 1u << 24));
  sub->add_option("--kv-type", flags->kv_type, "KV cache element type: f16 or f32")->capture_default_str();
  sub->add_option("--type", flags->weight_type, "Weight type for --shape: F16, Q8_0, Q6_K, Q5_K_M, Q4_K_M (default), Q4_0");
  sub->add_option("-t,--threads", flags->threads, "Threads for the measurement and scratch estimate (0: all CPUs)")
      ->check(CLI::Range(0, 4096));
  sub->add_flag("--no-run", flags->no_run, "On this-machine with -m: skip the real decode measurement");
  sub->add_option("--sysfs-root", flags->sysfs_root, "Read /proc under this directory (default: env EDGELM_SYSFS_ROOT, else /)");
  sub->add_flag("--json", flags->json, "Print JSON instead of text");
  return [flags] { return RunFit(*flags); };
}

}  // namespace

EDGELM_REGISTER_COMMAND(45, AddFit);

}  // namespace edgelm::cli
