// edgelm study [--config FILE] [--quick] [--quality-model FILE]... [--quality-text FILE]
//              [--quality-task NAME[:LIMIT]]... [--quality-data DIR] [--quality-samples]
//              [--db FILE] [-o HTML]
//              [--resume ID] [--print-default] [--device-price USD] [--lifetime-years Y]
//              [--duty-cycle F] [--electricity-price USD_PER_KWH] [--price-table FILE]
// The whole feasibility study in one command; prints where the report is.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/results_store.h"
#include "command_registry.h"
#include "core/interrupt.h"
#include "report/study_data.h"
#include "study/study.h"

namespace edgelm::cli {
namespace {

struct StudyFlags {
  std::string config, db, out, cache_dir, quality_text, quality_data;
  std::vector<std::string> quality_models, quality_tasks;
  bool quick = false, print_default = false, quality_samples = false;
  int64_t resume = 0;
  report::PriceOverrides prices;
  std::vector<std::string> raw_args;
};

nlohmann::json PricesJson(const report::PriceOverrides& p) {
  nlohmann::json j = nlohmann::json::object();
  if (p.device_usd) j["device_usd"] = *p.device_usd;
  if (p.lifetime_years) j["lifetime_years"] = *p.lifetime_years;
  if (p.duty_cycle) j["duty_cycle"] = *p.duty_cycle;
  if (p.electricity_usd_per_kwh) j["electricity_usd_per_kwh"] = *p.electricity_usd_per_kwh;
  if (!p.cloud_table.empty()) j["cloud_table"] = p.cloud_table;
  return j;
}

// The stored run's overrides, each replaced by the one given again on this command line.
report::PriceOverrides MergePrices(const nlohmann::json& stored, const report::PriceOverrides& given) {
  report::PriceOverrides p;
  auto num = [&](const char* key) -> std::optional<double> {
    if (stored.is_object() && stored.contains(key) && stored[key].is_number()) return stored[key].get<double>();
    return std::nullopt;
  };
  p.device_usd = given.device_usd ? given.device_usd : num("device_usd");
  p.lifetime_years = given.lifetime_years ? given.lifetime_years : num("lifetime_years");
  p.duty_cycle = given.duty_cycle ? given.duty_cycle : num("duty_cycle");
  p.electricity_usd_per_kwh = given.electricity_usd_per_kwh ? given.electricity_usd_per_kwh : num("electricity_usd_per_kwh");
  p.cloud_table = given.cloud_table;
  if (p.cloud_table.empty() && stored.is_object()) p.cloud_table = stored.value("cloud_table", std::string());
  return p;
}

int RunStudyCommand(const StudyFlags& f) {
  if (f.print_default) {
    std::fputs(study::DefaultStudyToml().c_str(), stdout);
    return kExitOk;
  }
  std::string text = study::DefaultStudyToml(), origin = "built-in default study";
  StudyFlags eff = f;  // with --resume: the stored run's grid-changing options
  if (f.resume > 0) {
    if (!f.config.empty()) return UsageError("study: --resume takes the study from the stored run: do not give --config");
    std::string db = f.db;
    if (db.empty()) {
      auto def = bench::DefaultResultsDbPath();
      if (!def.ok()) return ReportError(def.status());
      db = *def;
    }
    auto stored = study::LoadStoredStudy(db, f.resume);
    if (!stored.ok()) return ReportError(stored.status());
    text = stored->config_text;
    auto j = nlohmann::json::parse(stored->cli_flags_json, nullptr, false);
    if (j.is_object()) {
      eff.quick = j.value("quick", false);
      eff.quality_models = j.value("quality_models", std::vector<std::string>{});
      eff.quality_text = j.value("quality_text", std::string());
      eff.quality_tasks = j.value("quality_tasks", std::vector<std::string>{});
      eff.quality_data = j.value("quality_data", std::string());
      eff.quality_samples = j.value("quality_samples", false);
      eff.cache_dir = j.value("cache_dir", std::string());
      eff.prices = MergePrices(j.value("prices", nlohmann::json::object()), f.prices);
    }
    origin = "study of run " + std::to_string(f.resume);
  } else if (!f.config.empty()) {
    std::ifstream in(f.config, std::ios::binary);
    if (!in) return ReportError(NotFoundError("study: cannot open --config '" + f.config + "'"));
    std::stringstream s;
    s << in.rdbuf();
    text = s.str();
    origin = f.config;
  }
  auto config = study::ParseStudyConfig(text, origin);
  // A bad study file is a usage error (exit 2), like a bad flag.
  if (!config.ok()) return UsageError(config.status().message());
  if (!eff.quality_models.empty()) config->quality_models = eff.quality_models;
  if (!eff.quality_text.empty()) config->quality_text = eff.quality_text;
  // --quality-task adds to the study's tasks (a task named twice runs once, the flag's limit).
  for (const auto& spec : eff.quality_tasks) {
    auto task = study::ParseQualityTask(spec, "--quality-task");
    if (!task.ok()) return UsageError(task.status().message());
    auto& tasks = config->quality_tasks;
    tasks.erase(std::remove_if(tasks.begin(), tasks.end(), [&](const auto& t) { return t.name == task->name; }),
                tasks.end());
    tasks.push_back(*task);
  }
  if (!eff.quality_data.empty()) config->quality_data_dir = eff.quality_data;
  if (eff.quality_samples) config->quality_samples = true;
  if (!eff.cache_dir.empty()) config->cache_dir = eff.cache_dir;
  if (eff.quick) study::ApplyQuick(&*config);

  study::StudyOptions o;
  o.config = *config;
  o.config_text = text;
  o.cli_flags_json = nlohmann::json{{"quick", eff.quick}, {"quality_models", eff.quality_models},
                                    {"quality_text", eff.quality_text}, {"quality_tasks", eff.quality_tasks},
                                    {"quality_data", eff.quality_data}, {"quality_samples", eff.quality_samples},
                                    {"cache_dir", eff.cache_dir},
                                    {"prices", PricesJson(eff.prices)}}.dump();
  o.price_overrides = eff.prices;
  o.db_path = f.db;
  o.report_path = f.out;
  if (f.resume > 0) o.resume_run = f.resume;
  o.command_line = "edgelm study";
  for (const auto& a : f.raw_args) o.command_line += " " + a;
  o.interrupt = &InstallInterruptHandler();
  auto outcome = study::RunStudy(o);
  if (!outcome.ok()) {
    return outcome.status().code() == StatusCode::kInvalidArgument ? UsageError(outcome.status().message())
                                                                    : ReportError(outcome.status());
  }
  std::fprintf(stderr, "edgelm: study run %lld: %d configurations run, %d skipped (already complete), %d failed\n",
               static_cast<long long>(outcome->run_id), outcome->n_done, outcome->n_skipped, outcome->n_failed);
  std::fprintf(stderr,
               "edgelm: wall time %.1f s: models (synthesis, quantization) %.1f s, setup %.1f s, bench %.1f s, "
               "quality %.1f s, report %.1f s\n",
               outcome->seconds, outcome->models_seconds, outcome->setup_seconds, outcome->bench_seconds,
               outcome->quality_seconds, outcome->report_seconds);
  std::printf("report: %s\nsummary: %s\nresults: %s (run %lld)\n", outcome->files.html_path.c_str(),
              outcome->files.markdown_path.c_str(), outcome->db_path.c_str(), static_cast<long long>(outcome->run_id));
  if (outcome->interrupted) {
    std::fprintf(stderr, "edgelm: interrupted: continue with `edgelm study --resume %lld%s`\n",
                 static_cast<long long>(outcome->run_id), f.db.empty() ? "" : (" --db " + f.db).c_str());
    return kExitInterrupted;
  }
  return outcome->n_failed > 0 ? kExitFailure : kExitOk;
}

CommandRunner AddStudy(CLI::App& root) {
  auto f = std::make_shared<StudyFlags>();
  CLI::App* sub = root.add_subcommand(
      "study", "The whole feasibility study in one command: speed, memory, energy, quality, cost -> HTML report");
  sub->add_option("--config", f->config, "Study file (TOML; default: the built-in study, see --print-default)");
  sub->add_flag("--quick", f->quick, "Reduced setting for CI: one small model shape, short lengths");
  sub->add_option("--quality-model", f->quality_models, "Real-weight GGUF for quality (repeatable; the first is the KLD base)");
  sub->add_option("--quality-text", f->quality_text, "Text file for perplexity (e.g. WikiText-2 wiki.test.raw)");
  sub->add_option("--quality-task", f->quality_tasks,
                  "Accuracy task NAME[:LIMIT] on the quality models (repeatable; adds to [quality] tasks): hellaswag, "
                  "arc_easy, arc_challenge, piqa, winogrande, openbook_qa, siqa, copa, commonsense_qa, boolq, mmlu, lambada");
  sub->add_option("--quality-data", f->quality_data, "Task data directory laid out like ../shared/data ([quality] data_dir)");
  sub->add_flag("--quality-samples", f->quality_samples, "Answer the prompt suite (data/prompts) with each quality model");
  sub->add_option("--db", f->db, "Results store (default $XDG_DATA_HOME/edgelm/results.db)");
  sub->add_option("-o,--output", f->out, "Report HTML file (default: <store dir>/reports/study-<run>.html)");
  sub->add_option("--cache-dir", f->cache_dir, "Where synthesized models go (default $XDG_CACHE_HOME/edgelm)");
  sub->add_option("--resume", f->resume, "Continue study run ID: only its configurations not yet complete");
  sub->add_flag("--print-default", f->print_default, "Print the built-in default study file and exit");
  sub->add_option("--device-price", f->prices.device_usd, "Device price in USD (replaces the study's [prices] device_usd)");
  sub->add_option("--lifetime-years", f->prices.lifetime_years, "Years the device price is spread over (amortisation)");
  sub->add_option("--duty-cycle", f->prices.duty_cycle, "Fraction of the day the device generates, (0, 1]");
  sub->add_option("--electricity-price", f->prices.electricity_usd_per_kwh, "Electricity price in USD per kWh");
  sub->add_option("--price-table", f->prices.cloud_table,
                  "Cloud API price table (data/prices format; default: the shipped data/prices/cloud_api.toml)");
  return [f, sub] {
    f->raw_args.clear();
    for (const auto* opt : sub->get_options()) {
      if (opt->get_expected_min() == 0) {
        if (opt->count() > 0) f->raw_args.push_back(opt->get_name());
        continue;
      }
      for (const auto& r : opt->results()) f->raw_args.push_back(opt->get_name() + " " + r);
    }
    return RunStudyCommand(*f);
  };
}

EDGELM_REGISTER_COMMAND(70, AddStudy);

}  // namespace
}  // namespace edgelm::cli
