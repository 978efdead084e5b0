// edgelm report [--db FILE] [-o report.html] [--run ID] [--device-price USD]
//               [--lifetime-years Y] [--duty-cycle F] [--electricity-price USD_PER_KWH]
//               [--price-table FILE]
// The self-contained HTML report and its Markdown summary from a results store; the
// price flags recompute the cost section with other prices (the store is not changed).
#include <cstdio>
#include <optional>
#include <string>

#include "bench/results_store.h"
#include "command_registry.h"
#include "report/report.h"

namespace edgelm::cli {
namespace {

struct ReportFlags {
  std::string db, out = "report.html";
  int64_t run = 0;
  report::PriceOverrides prices;
};

int RunReport(const ReportFlags& f) {
  std::string db = f.db;
  if (db.empty()) {
    auto def = bench::DefaultResultsDbPath();
    if (!def.ok()) return ReportError(def.status());
    db = *def;
  }
  if (f.run < 0) return UsageError("report: --run must be a run id (>= 1); `edgelm results` lists them");
  auto input = report::LoadReportInput(db, f.run > 0 ? std::optional<int64_t>(f.run) : std::nullopt);
  if (!input.ok()) return ReportError(input.status());
  if (!f.prices.empty()) {
    if (!input->study.settings) {
      return UsageError("report: run " + std::to_string(input->run.run_id) +
                        " was made by `edgelm bench`, not a study: it has no cost section for price flags to change");
    }
    Status st = report::ApplyPriceOverrides(f.prices, &input->study.settings->prices);
    if (!st.ok()) return st.code() == StatusCode::kInvalidArgument ? UsageError(st.message()) : ReportError(st);
  }
  auto files = report::WriteReportFiles(*input, f.out);
  if (!files.ok()) return ReportError(files.status());
  std::printf("report of run %lld: %s\nsummary: %s\n", static_cast<long long>(input->run.run_id), files->html_path.c_str(),
              files->markdown_path.c_str());
  return kExitOk;
}

EDGELM_REGISTER_COMMAND(72, [](CLI::App& root) -> CommandRunner {
  auto flags = std::make_shared<ReportFlags>();
  CLI::App* sub = root.add_subcommand(
      "report", "Self-contained HTML report (inline SVG charts, works offline) and a Markdown summary from a results store");
  sub->add_option("--db", flags->db, "Results store (default $XDG_DATA_HOME/edgelm/results.db)");
  sub->add_option("-o,--output", flags->out, "HTML file to write; the summary goes beside it as .md")->capture_default_str();
  sub->add_option("--run", flags->run, "Run id (default: the latest run in the store)");
  sub->add_option("--device-price", flags->prices.device_usd, "Device price in USD (replaces the study's)");
  sub->add_option("--lifetime-years", flags->prices.lifetime_years, "Years the device price is spread over");
  sub->add_option("--duty-cycle", flags->prices.duty_cycle, "Fraction of the day the device generates, (0, 1]");
  sub->add_option("--electricity-price", flags->prices.electricity_usd_per_kwh, "Electricity price in USD per kWh");
  sub->add_option("--price-table", flags->prices.cloud_table, "Cloud API price table (data/prices format)");
  return [flags] { return RunReport(*flags); };
});

}  // namespace
}  // namespace edgelm::cli
