// Pareto fronts over two objectives, and the throughput-energy front of the study.
//
// Definitions (docs/ANALYSIS.md): a point p dominates q when p is at least as good as q
// in both objectives and strictly better in at least one. The front is the set of points
// no other point dominates. Ties: points with identical objective values do not dominate
// each other, so exact duplicates are all on the front (or all off it) together; a point
// that equals another in one objective and is worse in the other is dominated.
// Non-finite values (NaN, inf) are rejected with an error naming the point.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace edgelm::analysis {

enum class Goal { kMaximize, kMinimize };

struct ObjectivePoint {
  std::string id;  // for messages and reports
  double x = 0;
  double y = 0;
};

// Indices (into `points`) of the non-dominated points, ordered by x from best to worst
// (ties in x: best y first, then by index). Empty input gives an empty front.
Result<std::vector<size_t>> ParetoFront(const std::vector<ObjectivePoint>& points, Goal x_goal, Goal y_goal);

// Whether a dominates b under the goals (exposed for tests and reports).
bool Dominates(const ObjectivePoint& a, const ObjectivePoint& b, Goal x_goal, Goal y_goal);

// One measured configuration (model x quantization x threads x device ...).
struct ThroughputEnergyConfig {
  std::string id;
  double tokens_per_s = 0;      // decode throughput, > 0
  double tokens_per_joule = 0;  // energy efficiency, > 0
};

struct ThroughputEnergyResult {
  std::string id;
  double tokens_per_s = 0;
  double tokens_per_joule = 0;
  // Energy-delay product per token: (1 / tokens_per_joule) J x (1 / tokens_per_s) s,
  // in joule-seconds; lower is better. It ranks points along the front by one number.
  double energy_delay_product_js = 0;
  bool on_front = false;
};

// Every configuration with its EDP and front membership (both objectives maximised), in
// input order. Errors: a non-finite or non-positive throughput or efficiency.
Result<std::vector<ThroughputEnergyResult>> ThroughputEnergyFront(const std::vector<ThroughputEnergyConfig>& configs);

// Index of the smallest EDP (first one on ties); nullopt for an empty list.
std::optional<size_t> MinEnergyDelayIndex(const std::vector<ThroughputEnergyResult>& results);

}  // namespace edgelm::analysis
