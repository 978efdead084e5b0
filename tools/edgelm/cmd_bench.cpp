// edgelm bench: speed and memory sweeps measured the way llama-bench does (pp N, tg N,
// pg N,M, depth), plus a request test (TTFT, inter-token latency), with statistics over
// the raw samples and every configuration saved to the results store as it finishes.
//
// llama-bench spells some flags with one dash and several letters (-pg, -ctk), which
// CLI11 does not accept as option names; the subcommand therefore takes its arguments
// raw and parses them with its own CLI11 app after mapping those spellings to --pg/--ctk.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "bench/energy.h"
#include "bench/engine_target.h"
#include "bench/results_store.h"
#include "bench/runner.h"
#include "bench/sweep.h"
#include "bench/system_probe.h"
#include "bench/writers.h"
#include "command_registry.h"
#include "core/interrupt.h"

namespace edgelm::cli {
namespace {

using bench::SweepSpec;

// A short TinyStories-like text, so the built-in request test also means something on
// stories260K; --prompt-file replaces it.
constexpr const char* kBuiltInPrompt =
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. "
    "One day, she saw a big red ball under a tree.";

struct BenchFlags {
  std::vector<std::string> models, pg;
  std::string threads, n_prompt = "512", n_gen = "128", depth = "0", ctx = "0", batch = "512";
  std::string ctk = "f16", isa = "auto", cpu_mask = "0x0", prio = "0";
  int repetitions = 5, warmups = 1;
  double delay_s = 0;
  bool random_order = false, isolate = false, request = false, no_cold = false;
  uint64_t seed = 0;
  uint32_t request_tokens = 128;
  std::string prompt_file, format = "md", out, db;
  int64_t resume = 0;
  bench::EnergyOptions energy;
};

std::unique_ptr<CLI::App> MakeParser(BenchFlags& f) {
  auto app = std::make_unique<CLI::App>(
      "edgelm bench: speed and memory of a model on this machine, llama-bench style.\n"
      "Every numeric flag takes a list: N | A-B | A-B+STEP | A-B*MULT, comma-separated (-t 1-8*2 -p 128,512).\n"
      "Configurations are the Cartesian product; each is saved to the results store as it finishes.",
      "edgelm bench");
  app->add_option("-m,--model", f.models, "GGUF model file(s), comma list or repeated")->required();
  app->add_option("-t,--threads", f.threads, "Threads (default: CPUs online)");
  app->add_option("-p,--n-prompt", f.n_prompt, "Prompt lengths for pp tests (0: none)")->capture_default_str();
  app->add_option("-n,--n-gen", f.n_gen, "Generation lengths for tg tests (0: none)")->capture_default_str();
  app->add_option("--pg", f.pg, "Prefill+generate pair PROMPT,GEN (repeatable; also -pg)");
  app->add_option("-d,--n-depth", f.depth, "Context depth before each test (tg N @ dD)")->capture_default_str();
  app->add_option("-c,--ctx-size", f.ctx, "Context size (0: what each test needs)")->capture_default_str();
  app->add_option("-b,--batch-size", f.batch, "Prefill batch size")->capture_default_str();
  app->add_option("--ctk,--cache-type-k", f.ctk, "KV cache type f16|f32 (also -ctk)")->capture_default_str();
  app->add_option("--isa", f.isa, "Kernel path: auto|scalar|avx2|avx512|neon|neon-dot")->capture_default_str();
  app->add_option("-C,--cpu-mask", f.cpu_mask, "Hex CPU masks to pin threads to (0x0: no pinning)")->capture_default_str();
  app->add_option("--prio", f.prio, "Priority -1 low, 0 normal, 1 medium, 2 high, 3 realtime")->capture_default_str();
  app->add_option("-r,--repetitions", f.repetitions, "Measured repetitions per configuration")->capture_default_str();
  app->add_option("--warmup", f.warmups, "Warmup repetitions (run, excluded, counted)")->capture_default_str();
  app->add_option("--delay", f.delay_s, "Seconds of cooldown before each configuration")->capture_default_str();
  app->add_flag("--random-order", f.random_order, "Run configurations in a random order");
  app->add_option("--seed", f.seed, "Seed of --random-order")->capture_default_str();
  app->add_flag("--isolate", f.isolate, "Run each configuration in its own process (own load, own peak RSS)");
  app->add_flag("--request", f.request, "Add the request test: prompt text in, tokens out (TTFT, ITL)");
  app->add_option("--request-tokens", f.request_tokens, "Tokens the request test generates")->capture_default_str();
  app->add_option("--prompt-file", f.prompt_file, "Prompt of the request test (implies --request)");
  app->add_flag("--no-cold", f.no_cold, "Skip the cold load (dropping the model's pages first)");
  app->add_option("-o,--output-format", f.format, "md | csv | json | jsonl | sqlite")->capture_default_str();
  app->add_option("--out", f.out, "Write the output to this file (required for sqlite)");
  app->add_option("--db", f.db, "Results store (default $XDG_DATA_HOME/edgelm/results.db or ~/.local/share/edgelm/results.db)");
  app->add_option("--energy", f.energy.mode,
                  "Energy per phase: none | auto (every measured source, else the labelled estimate) | estimate | "
                  "comma list of rapl,hwmon,jetson,rpi5-pmic,nvml,external,estimate")
      ->capture_default_str();
  app->add_option("--idle-s", f.energy.idle_s, "Seconds of idle baseline before the first configuration (--energy)")
      ->capture_default_str();
  app->add_option("--power-cmd", f.energy.power_cmd, "External meter: a command printing watts, one per line");
  app->add_option("--power-log", f.energy.power_log, "External meter log: lines '<unix_time_s>,<watts>'");
  app->add_option("--device", f.energy.device, "Device profile of the estimate: auto | id | id:mode | file.toml")
      ->capture_default_str();
  app->add_option("--sysfs-root", f.energy.sysfs_root, "Read /sys and /proc below this directory (tests, containers)");
  app->add_option("--resume", f.resume, "Continue run ID: run only its configurations not yet complete");
  return app;
}

Result<std::vector<uint32_t>> U32List(const std::string& text, const char* flag, int64_t min_value) {
  EDGELM_ASSIGN_OR_RETURN(auto v, bench::ParseIntList(text, flag, min_value, 1 << 24));
  return std::vector<uint32_t>(v.begin(), v.end());
}

Result<SweepSpec> SpecFromFlags(const BenchFlags& f) {
  SweepSpec s;
  for (const auto& m : f.models) {
    EDGELM_ASSIGN_OR_RETURN(auto list, bench::ParseStringList(m, "-m"));
    s.models.insert(s.models.end(), list.begin(), list.end());
  }
  const std::string threads = f.threads.empty() ? std::to_string(bench::OnlineCpuCount()) : f.threads;
  EDGELM_ASSIGN_OR_RETURN(auto t, bench::ParseIntList(threads, "-t", 1, 4096));
  s.n_threads.assign(t.begin(), t.end());
  EDGELM_ASSIGN_OR_RETURN(s.n_prompt, U32List(f.n_prompt, "-p", 0));
  EDGELM_ASSIGN_OR_RETURN(s.n_gen, U32List(f.n_gen, "-n", 0));
  for (const auto& pg : f.pg) {
    EDGELM_ASSIGN_OR_RETURN(auto pair, bench::ParsePgPair(pg));
    s.pg.push_back(pair);
  }
  EDGELM_ASSIGN_OR_RETURN(s.n_depth, U32List(f.depth, "-d", 0));
  EDGELM_ASSIGN_OR_RETURN(s.n_ctx, U32List(f.ctx, "-c", 0));
  EDGELM_ASSIGN_OR_RETURN(s.n_batch, U32List(f.batch, "-b", 1));
  EDGELM_ASSIGN_OR_RETURN(s.type_k, bench::ParseStringList(f.ctk, "-ctk"));
  EDGELM_ASSIGN_OR_RETURN(s.isa, bench::ParseStringList(f.isa, "--isa"));
  EDGELM_ASSIGN_OR_RETURN(s.cpu_mask, bench::ParseStringList(f.cpu_mask, "--cpu-mask"));
  EDGELM_ASSIGN_OR_RETURN(auto prio, bench::ParseIntList(f.prio, "--prio", -1, 3));
  s.priority.assign(prio.begin(), prio.end());
  s.repetitions = f.repetitions;
  s.warmups = f.warmups;
  s.delay_s = f.delay_s;
  s.random_order = f.random_order;
  s.seed = f.seed;
  s.request = f.request || !f.prompt_file.empty();
  s.request_n_gen = f.request_tokens;
  if (!f.prompt_file.empty()) {
    std::ifstream in(f.prompt_file, std::ios::binary);
    if (!in) return NotFoundError("--prompt-file: cannot open '" + f.prompt_file + "'");
    std::ostringstream text;
    text << in.rdbuf();
    s.request_prompt = text.str();
    if (s.request_prompt.empty()) return InvalidArgumentError("--prompt-file: '" + f.prompt_file + "' is empty");
  } else if (s.request) {
    s.request_prompt = kBuiltInPrompt;
  }
  return s;
}

std::string JoinArgs(const std::vector<std::string>& args) {
  std::string s = "edgelm bench";
  for (const auto& a : args) s += " " + a;
  return s;
}

int RunBench(std::vector<std::string> args) {
  // llama-bench spellings -> ours.
  static const std::map<std::string, std::string> kAliases = {{"-pg", "--pg"}, {"-ctk", "--ctk"}};
  for (auto& a : args) {
    if (auto it = kAliases.find(a); it != kAliases.end()) a = it->second;
  }
  BenchFlags f;
  auto parser = MakeParser(f);
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  // --resume takes the whole sweep from the store: -m is not required then.
  const bool resuming = std::find(args.begin(), args.end(), "--resume") != args.end() ||
                        std::any_of(args.begin(), args.end(), [](const std::string& a) { return a.rfind("--resume=", 0) == 0; });
  if (resuming) parser->get_option("--model")->required(false);
  try {
    parser->parse(reversed);
  } catch (const CLI::CallForHelp&) {
    std::fputs(parser->help().c_str(), stdout);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    return UsageError(std::string("bench: ") + e.what());
  }
  if (auto mode = bench::ParseEnergyMode(f.energy.mode); !mode.ok()) return UsageError(mode.status().message());
  const bool energy_given = f.energy.mode != "none";
  if (!energy_given && (!f.energy.power_cmd.empty() || !f.energy.power_log.empty())) {
    return UsageError("--power-cmd/--power-log need --energy (auto or external)");
  }
  auto format = bench::ParseOutputFormat(f.format);
  if (!format.ok()) return UsageError(format.status().message());
  if (*format == bench::OutputFormat::kSqlite && f.out.empty()) return UsageError("-o sqlite needs a file: add --out FILE.db");

  // The telemetry session comes before the engine's thread pool: perf counters count
  // the threads created after it.
  std::unique_ptr<bench::EnergyMeter> meter;
  if (energy_given) {
    auto m = bench::EnergyMeter::Create(f.energy);
    if (!m.ok()) {
      return m.status().code() == StatusCode::kInvalidArgument ? UsageError(m.status().message()) : ReportError(m.status());
    }
    meter = std::move(*m);
  }

  std::string db_path = f.db;
  if (db_path.empty()) {
    auto def = bench::DefaultResultsDbPath();
    if (!def.ok()) return ReportError(def.status());
    db_path = *def;
  }
  auto store = bench::ResultsStore::Open(db_path);
  if (!store.ok()) return ReportError(store.status());

  SweepSpec spec;
  bench::RunContext context;
  int64_t run_id = 0;
  std::set<std::string> skip;
  if (resuming) {
    for (const char* flag : {"--model", "--threads", "--n-prompt", "--n-gen", "--pg", "--n-depth", "--ctx-size",
                             "--batch-size", "--ctk", "--isa", "--cpu-mask", "--prio", "--repetitions", "--warmup",
                             "--random-order", "--seed", "--request", "--request-tokens", "--prompt-file"}) {
      if (parser->get_option(flag)->count() > 0) {
        return UsageError(std::string("--resume takes the sweep from the stored run: do not give ") + flag);
      }
    }
    run_id = f.resume;
    auto stored = (*store)->LoadSpec(run_id);
    if (!stored.ok()) return ReportError(stored.status());
    spec = *stored;
    auto done = (*store)->CompletedKeys(run_id);
    if (!done.ok()) return ReportError(done.status());
    skip = *done;
    auto previous = (*store)->LoadRun(run_id);
    if (!previous.ok()) return ReportError(previous.status());
    context = previous->context;
    if (parser->get_option("--delay")->count() > 0) spec.delay_s = f.delay_s;
  } else {
    auto s = SpecFromFlags(f);
    if (!s.ok()) return s.status().code() == StatusCode::kInvalidArgument ? UsageError(s.status().message()) : ReportError(s.status());
    spec = *s;
  }
  auto configs = bench::ExpandSweep(spec);
  if (!configs.ok()) return UsageError(configs.status().message());

  if (!resuming) {
    context = bench::CollectRunContext();
    context.command_line = JoinArgs(args);
    std::set<std::string> seen;
    for (const auto& m : spec.models) {
      if (!seen.insert(m).second) continue;
      auto info = bench::DescribeModelFile(m);
      if (!info.ok()) return ReportError(info.status().WithContext("model"));
      context.models.push_back(*info);
    }
    context.warnings = bench::EnvironmentWarnings(context);
    auto id = (*store)->BeginRun(context, spec, static_cast<int>(configs->size()));
    if (!id.ok()) return ReportError(id.status());
    run_id = *id;
  } else {
    Status st = (*store)->SetRunStatus(run_id, "running");
    if (!st.ok()) return ReportError(st);
  }
  for (const auto& w : context.warnings) std::fprintf(stderr, "edgelm: warning: %s\n", w.c_str());
  std::fprintf(stderr, "edgelm: run %lld: %zu configurations (%zu already complete), saved to %s\n",
               static_cast<long long>(run_id), configs->size(), skip.size(), db_path.c_str());

  if (meter) {
    std::fputs(meter->Describe().c_str(), stderr);
    if (f.energy.idle_s > 0) {
      std::fprintf(stderr, "edgelm: measuring the idle baseline for %.1f s (keep the machine quiet)\n", f.energy.idle_s);
      Status st = meter->MeasureIdleBaseline();
      if (!st.ok()) std::fprintf(stderr, "edgelm: warning: no idle baseline: %s\n", st.ToString().c_str());
    }
  }
  bench::RunnerOptions ro;
  ro.isolate = f.isolate;
  ro.delay_s = spec.delay_s;
  ro.request_prompt = spec.request_prompt;
  ro.cold_load = !f.no_cold;
  ro.progress = ::isatty(STDERR_FILENO) != 0;
  for (const auto& m : context.models) ro.model_sha256[m.path] = m.sha256;
  ro.interrupt = &InstallInterruptHandler();
  std::unique_ptr<bench::BenchTarget> target = bench::MakeEngineTarget();
  bench::Runner runner(meter ? meter->Wrap(*target) : *target, ro);
  auto outcome = runner.Run(*configs, skip, [&](const bench::ConfigRecord& r) {
    if (!meter) return (*store)->AddRecord(run_id, r);
    bench::ConfigRecord annotated = r;
    meter->Annotate(annotated, f.isolate);
    return (*store)->AddRecord(run_id, annotated);
  });
  if (meter) (void)meter->Stop();
  if (!outcome.ok()) {
    (void)(*store)->SetRunStatus(run_id, "failed");
    return ReportError(outcome.status());
  }
  const std::string status = outcome->interrupted ? "interrupted" : "complete";
  Status st = (*store)->SetRunStatus(run_id, status);
  if (!st.ok()) return ReportError(st);
  auto report = (*store)->LoadRun(run_id);
  if (!report.ok()) return ReportError(report.status());
  st = bench::WriteReport(*report, *format, f.out);
  if (!st.ok()) return ReportError(st);
  int failed = 0;
  for (const auto& r : outcome->records) failed += r.status != "ok";
  if (outcome->interrupted) {
    std::fprintf(stderr, "edgelm: interrupted: %zu of %zu configurations of run %lld are saved; continue with --resume %lld\n",
                 report->records.size(), configs->size(), static_cast<long long>(run_id), static_cast<long long>(run_id));
    return kExitInterrupted;
  }
  if (failed > 0) {
    std::fprintf(stderr, "edgelm: %d configuration(s) failed (recorded with their error)\n", failed);
    return kExitFailure;
  }
  return kExitOk;
}

EDGELM_REGISTER_COMMAND(50, [](CLI::App& root) -> CommandRunner {
  CLI::App* sub = root.add_subcommand(
      "bench", "Speed and memory sweeps (llama-bench style: -m -t -p -n -pg -d -c -b -ctk -r ...); `edgelm bench --help`");
  // Arguments are parsed by RunBench (see the note at the top of this file).
  sub->prefix_command();
  sub->set_help_flag();
  return [sub] { return RunBench(sub->remaining()); };
});

}  // namespace
}  // namespace edgelm::cli
