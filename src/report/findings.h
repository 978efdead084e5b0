// The figures a report derives from the stored records: labels, throughput, memory fit,
// energy efficiency with its Pareto front, cost against cloud prices, and the
// recommendations. Pure functions of ReportInput, shared by the HTML and Markdown writers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "report/report.h"

namespace edgelm::report {

// "smollm2-135m Q4_0": the study's label for the record's model, else its file name.
std::string VariantLabel(const ReportInput& in, const bench::ConfigRecord& r);
// "smollm2-135m Q4_0 · tg64 · 2 threads · ctx 64"
std::string ConfigLabel(const ReportInput& in, const bench::ConfigRecord& r);
std::optional<double> BitsPerWeight(const ReportInput& in, const bench::ConfigRecord& r);

struct MemoryRow {
  std::string config_key, variant;
  uint32_t n_ctx = 0;
  std::optional<uint64_t> weights_bytes, kv_bytes, scratch_bytes, peak_rss_bytes;
  std::optional<uint64_t> total_bytes() const;  // weights + kv + scratch, when all known
  std::optional<bool> fits;                      // absent: no budget or no total
};
// One row per (variant, context size), from the configurations that measured memory.
std::vector<MemoryRow> MemoryRows(const ReportInput& in);

struct EfficiencyPoint {
  std::string config_key, label, variant, source;
  int n_threads = 0;
  double tokens_per_s = 0;    // decode throughput (tg test mean)
  double tokens_per_j = 0;    // decode tokens / decode joules
  double joules_per_token = 0;
  std::optional<double> avg_watts;
  bool estimated = false;
  bool on_front = false;
  double edp() const { return joules_per_token / tokens_per_s; }  // J·s per token²
};
// Decode configurations with both a throughput and an energy figure.
std::vector<EfficiencyPoint> DecodeEfficiency(const ReportInput& in);
// Indices of the non-dominated points when both coordinates are to be maximised (a
// point is dominated when another is >= in both and > in one). Sorted by first coordinate.
std::vector<size_t> ParetoFront(const std::vector<std::pair<double, double>>& points);

struct CostFigure {
  std::optional<double> capex_usd_per_1m, energy_usd_per_1m, total_usd_per_1m;
  std::string reason;  // what is missing when total is absent
};
// $/1M tokens at the edge (MEASUREMENT.md "Cost"): device price spread over the tokens
// it produces in its amortisation period at the duty cycle, plus energy at the
// electricity price.
CostFigure EdgeCost(const Prices& prices, double tokens_per_s, double joules_per_token);

// 1415685 -> "1.42 M", 186452 -> "186 k", 512 -> "512": token volumes a reader can take in.
std::string FormatTokenCount(double n);
// "OpenAI gpt-4o-mini"
std::string CloudLabel(const CloudPrice& c);

// One cloud price against one edge configuration: the break-even volume per day
// (analysis::BreakEvenTokensPerDay: device price per day + energy vs the API's output
// price; idle power is not counted).
struct BreakEven {
  std::string cloud, date, source;
  double cloud_usd_per_1m = 0;              // output-token list price
  std::optional<double> edge_usd_per_1m;    // at the study's duty cycle
  std::optional<double> tokens_per_day;     // break-even generated tokens per day
  double capacity_tokens_per_day = 0;       // what the device generates in a day at 100%
  std::string verdict;
};
std::vector<BreakEven> BreakEvens(const Prices& prices, const EfficiencyPoint& p);

struct Recommendation {
  std::string question;
  std::optional<std::string> answer;  // configuration label
  std::string evidence;               // the measurements it rests on
  std::string absent_reason;
};
std::vector<Recommendation> Recommend(const ReportInput& in);

}  // namespace edgelm::report
