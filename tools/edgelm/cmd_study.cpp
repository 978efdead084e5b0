// edgelm study [--config FILE] [--quick] [--quality-model FILE]... [--db FILE] [-o HTML]
//              [--resume ID] [--print-default]
// The whole feasibility study in one command; prints where the report is.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/results_store.h"
#include "command_registry.h"
#include "core/interrupt.h"
#include "study/study.h"

namespace edgelm::cli {
namespace {

struct StudyFlags {
  std::string config, db, out, cache_dir, quality_text;
  std::vector<std::string> quality_models;
  bool quick = false, print_default = false;
  int64_t resume = 0;
  std::vector<std::string> raw_args;
};

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
      eff.cache_dir = j.value("cache_dir", std::string());
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
  if (!eff.cache_dir.empty()) config->cache_dir = eff.cache_dir;
  if (eff.quick) study::ApplyQuick(&*config);

  study::StudyOptions o;
  o.config = *config;
  o.config_text = text;
  o.cli_flags_json = nlohmann::json{{"quick", eff.quick}, {"quality_models", eff.quality_models},
                                    {"quality_text", eff.quality_text}, {"cache_dir", eff.cache_dir}}.dump();
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
  std::fprintf(stderr, "edgelm: study run %lld: %d configurations run, %d skipped (already complete), %d failed, %.0f s\n",
               static_cast<long long>(outcome->run_id), outcome->n_done, outcome->n_skipped, outcome->n_failed,
               outcome->seconds);
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
  sub->add_option("--db", f->db, "Results store (default $XDG_DATA_HOME/edgelm/results.db)");
  sub->add_option("-o,--output", f->out, "Report HTML file (default: <store dir>/reports/study-<run>.html)");
  sub->add_option("--cache-dir", f->cache_dir, "Where synthesized models go (default $XDG_CACHE_HOME/edgelm)");
  sub->add_option("--resume", f->resume, "Continue study run ID: only its configurations not yet complete");
  sub->add_flag("--print-default", f->print_default, "Print the built-in default study file and exit");
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
