// What a token costs at the edge, what it costs from a cloud API, and the daily volume at
// which the two are equal. Formulas and units: docs/ANALYSIS.md "Cost".
//
// Every price is a parameter (the CLI or a study config may override any of them); the
// dated cloud price table in data/prices/ only supplies defaults with their sources.
// Goals: transparent arithmetic a reader can redo by hand. Non-goals: taxes, shipping,
// cooling, networking, maintenance labour, cloud volume discounts, cached-input prices.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace edgelm::analysis {

inline constexpr double kSecondsPerDay = 86400.0;
inline constexpr double kDaysPerYear = 365.25;
inline constexpr double kJoulesPerKwh = 3.6e6;

struct EdgeCostInputs {
  double device_price_usd = 0;      // purchase price, >= 0
  double lifetime_years = 3;        // amortisation period, > 0
  double duty_cycle = 1;            // fraction of the day spent generating, (0, 1]
  double tokens_per_s = 0;          // measured generation throughput, > 0
  double joules_per_token = 0;      // measured energy per generated token, >= 0
  double electricity_usd_per_kwh = 0;  // >= 0
  // Power drawn while not generating (the rest of the day). Absent: idle energy is not
  // counted (the device is assumed off or shared); the report should say so.
  std::optional<double> idle_watts;
};

struct EdgeCost {
  double tokens_per_day = 0;            // tokens_per_s x 86400 x duty_cycle
  double capex_usd_per_day = 0;         // price / (lifetime_years x 365.25)
  double energy_usd_per_day = 0;        // generating + (when given) idle energy
  double usd_per_million_tokens = 0;    // (capex + energy per day) / tokens_per_day x 1e6
  double capex_usd_per_million_tokens = 0;
  double energy_usd_per_million_tokens = 0;
};

// Errors: a value outside the ranges above, or non-finite.
Result<EdgeCost> ComputeEdgeCost(const EdgeCostInputs& in);

// One row of the cloud price table.
struct CloudPrice {
  std::string provider;             // "OpenAI"
  std::string model;                // "gpt-4o-mini"
  double input_usd_per_mtok = 0;    // $ per 1M input (prompt) tokens
  double output_usd_per_mtok = 0;   // $ per 1M output (generated) tokens
  std::string date;                 // when the price was found (YYYY-MM-DD)
  std::string source;               // URL where it was published
  std::string note;
};

// $ per 1M generated tokens for a workload that sends `input_tokens_per_output_token`
// prompt tokens per generated token: output + ratio x input. Ratio >= 0.
Result<double> CloudUsdPerMillionOutputTokens(const CloudPrice& price, double input_tokens_per_output_token);

struct BreakEven {
  // Generated tokens per day at which the edge device's daily cost equals the cloud
  // bill. Absent when the cloud is never dearer (its price per token is not above the
  // edge's marginal energy cost per token); `reason` says why.
  std::optional<double> tokens_per_day;
  // The most one device can generate per day (tokens_per_s x 86400): a break-even above
  // it needs more than one device, and `within_capacity` is false.
  double capacity_tokens_per_day = 0;
  bool within_capacity = false;
  std::string reason;
};

// Daily edge cost at volume V: capex/day + V x energy per token (+ idle power over the
// seconds not spent generating, 86400 - V / tokens_per_s, when idle_watts is given).
// Daily cloud cost: V x cloud $/token. duty_cycle in `edge` is ignored (V decides it).
Result<BreakEven> BreakEvenTokensPerDay(const EdgeCostInputs& edge, double cloud_usd_per_million_tokens);

// One cloud price against the edge: what the report's cost table shows per row.
struct CloudComparison {
  CloudPrice price;
  double cloud_usd_per_million_tokens = 0;  // blended for the workload's input ratio
  double edge_usd_per_million_tokens = 0;   // at the inputs' duty cycle
  bool edge_cheaper = false;                // at that duty cycle
  BreakEven break_even;
};

// Every price of `prices` against the edge inputs, in table order.
Result<std::vector<CloudComparison>> CompareWithCloud(const EdgeCostInputs& edge, const std::vector<CloudPrice>& prices,
                                                      double input_tokens_per_output_token);

// Reads a price table (data/prices/*.toml, format in data/prices/README.md). Errors name
// the file, the entry and the field.
Result<std::vector<CloudPrice>> LoadCloudPrices(const std::string& path);
// The same from TOML text (a [[price]] array); `origin` names it in errors. Unknown keys
// are errors.
Result<std::vector<CloudPrice>> ParseCloudPrices(const std::string& text, const std::string& origin);
// The price table shipped with edgelm: env EDGELM_PRICE_FILE, else the source tree's
// data/prices/cloud_api.toml.
std::string DefaultCloudPriceFile();
// The entry for `model` (case-insensitive), or an error listing the known models.
Result<CloudPrice> FindCloudPrice(const std::vector<CloudPrice>& prices, const std::string& model);

}  // namespace edgelm::analysis
