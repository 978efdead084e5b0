#include "cli_quality.h"

#include <cstdio>
#include <fstream>
#include <set>

#include "bench/system_probe.h"

namespace edgelm::cli {
namespace {

// The command line as typed (arguments joined by spaces), from /proc/self/cmdline;
// "edgelm" where that file does not exist.
std::string OwnCommandLine() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string raw((std::istreambuf_iterator<char>(in)), {});
  if (raw.empty()) return "edgelm";
  std::string out;
  size_t start = 0;
  bool first = true;
  while (start < raw.size()) {
    size_t end = raw.find('\0', start);
    if (end == std::string::npos) end = raw.size();
    std::string arg = raw.substr(start, end - start);
    if (first) {
      arg = "edgelm";  // not the build path the binary ran from
      first = false;
    }
    out += (out.empty() ? "" : " ") + arg;
    start = end + 1;
  }
  return out;
}

}  // namespace

void AddResultsDbFlag(CLI::App* sub, std::string& db) {
  sub->add_option("--db", db,
                  "Results store (default $XDG_DATA_HOME/edgelm/results.db or ~/.local/share/edgelm/results.db)");
}

Result<std::unique_ptr<QualityRun>> BeginQualityRun(const std::string& db_flag, const std::vector<std::string>& models) {
  auto run = std::make_unique<QualityRun>();
  run->db_path = db_flag;
  if (run->db_path.empty()) {
    EDGELM_ASSIGN_OR_RETURN(run->db_path, bench::DefaultResultsDbPath());
  }
  EDGELM_ASSIGN_OR_RETURN(run->results, bench::ResultsStore::Open(run->db_path));
  EDGELM_ASSIGN_OR_RETURN(run->quality, QualityStore::Open(run->db_path));
  bench::RunContext context = bench::CollectRunContext();
  context.command_line = OwnCommandLine();
  std::set<std::string> seen;
  for (const auto& m : models) {
    if (m.empty() || !seen.insert(m).second) continue;
    auto info = bench::DescribeModelFile(m);
    if (!info.ok()) return info.status().WithContext("model");
    context.models.push_back(*info);
  }
  context.warnings = bench::EnvironmentWarnings(context);
  for (const auto& w : context.warnings) std::fprintf(stderr, "edgelm: warning: %s\n", w.c_str());
  // No bench configurations are planned: the run's results are quality figures.
  EDGELM_ASSIGN_OR_RETURN(run->run_id, run->results->BeginRun(context, std::nullopt, 0));
  std::fprintf(stderr, "edgelm: run %lld, results saved to %s\n", static_cast<long long>(run->run_id),
               run->db_path.c_str());
  return run;
}

Status QualityRun::Finish(bool interrupted) {
  EDGELM_RETURN_IF_ERROR(results->SetRunStatus(run_id, interrupted ? "interrupted" : "complete"));
  std::fprintf(stderr, "edgelm: run %lld %s: `edgelm results quality %lld --db %s` shows it\n",
               static_cast<long long>(run_id), interrupted ? "interrupted (finished parts are saved)" : "saved",
               static_cast<long long>(run_id), db_path.c_str());
  return Status::Ok();
}

void QualityRun::Fail() { (void)results->SetRunStatus(run_id, "failed"); }

void PrintProgress(const std::string& line) {
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

}  // namespace edgelm::cli
