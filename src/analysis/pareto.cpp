#include "analysis/pareto.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace edgelm::analysis {
namespace {

// Orientation-free comparison: > 0 when a is better than b.
double Better(double a, double b, Goal goal) { return goal == Goal::kMaximize ? a - b : b - a; }

}  // namespace

bool Dominates(const ObjectivePoint& a, const ObjectivePoint& b, Goal x_goal, Goal y_goal) {
  const double dx = Better(a.x, b.x, x_goal);
  const double dy = Better(a.y, b.y, y_goal);
  return dx >= 0 && dy >= 0 && (dx > 0 || dy > 0);
}

Result<std::vector<size_t>> ParetoFront(const std::vector<ObjectivePoint>& points, Goal x_goal, Goal y_goal) {
  for (size_t i = 0; i < points.size(); ++i) {
    if (!std::isfinite(points[i].x) || !std::isfinite(points[i].y)) {
      return InvalidArgumentError("Pareto front: point " + std::to_string(i) + " ('" + points[i].id +
                                  "') has a non-finite objective (x " + std::to_string(points[i].x) + ", y " +
                                  std::to_string(points[i].y) + "); a missing measurement must be left out, not passed as NaN");
    }
  }
  // Sort best x first, best y first within equal x. A point is on the front exactly when
  // no earlier point in this order dominates it; an earlier point can only dominate it
  // if its y is at least as good, so tracking the best y seen among points with strictly
  // better x, plus the group of equal x, decides it in one pass after the sort.
  std::vector<size_t> order(points.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const double dx = Better(points[a].x, points[b].x, x_goal);
    if (dx != 0) return dx > 0;
    return Better(points[a].y, points[b].y, y_goal) > 0;
  });
  std::vector<size_t> front;
  bool have_best = false;
  double best_y = 0;  // best y among points with strictly better x than the current group
  size_t i = 0;
  while (i < order.size()) {
    size_t j = i;
    while (j < order.size() && points[order[j]].x == points[order[i]].x) ++j;
    // Within the group [i, j) x is equal: only points with the group's best y survive
    // (ties in y survive together), and only if no strictly-better-x point has y at
    // least as good.
    const double group_best_y = points[order[i]].y;
    if (!have_best || Better(group_best_y, best_y, y_goal) > 0) {
      for (size_t k = i; k < j && points[order[k]].y == group_best_y; ++k) front.push_back(order[k]);
    }
    if (!have_best || Better(group_best_y, best_y, y_goal) > 0) {
      best_y = group_best_y;
      have_best = true;
    }
    i = j;
  }
  return front;
}

Result<std::vector<ThroughputEnergyResult>> ThroughputEnergyFront(const std::vector<ThroughputEnergyConfig>& configs) {
  std::vector<ObjectivePoint> points;
  std::vector<ThroughputEnergyResult> out;
  for (size_t i = 0; i < configs.size(); ++i) {
    const auto& c = configs[i];
    if (!std::isfinite(c.tokens_per_s) || !(c.tokens_per_s > 0) || !std::isfinite(c.tokens_per_joule) ||
        !(c.tokens_per_joule > 0)) {
      return InvalidArgumentError("throughput-energy front: configuration " + std::to_string(i) + " ('" + c.id +
                                  "') needs tokens_per_s > 0 and tokens_per_joule > 0, found " +
                                  std::to_string(c.tokens_per_s) + " and " + std::to_string(c.tokens_per_joule) +
                                  " (unmeasured energy? leave the configuration out)");
    }
    points.push_back({c.id, c.tokens_per_s, c.tokens_per_joule});
    ThroughputEnergyResult r;
    r.id = c.id;
    r.tokens_per_s = c.tokens_per_s;
    r.tokens_per_joule = c.tokens_per_joule;
    r.energy_delay_product_js = 1.0 / (c.tokens_per_joule * c.tokens_per_s);
    out.push_back(r);
  }
  EDGELM_ASSIGN_OR_RETURN(std::vector<size_t> front, ParetoFront(points, Goal::kMaximize, Goal::kMaximize));
  for (size_t idx : front) out[idx].on_front = true;
  return out;
}

std::optional<size_t> MinEnergyDelayIndex(const std::vector<ThroughputEnergyResult>& results) {
  if (results.empty()) return std::nullopt;
  size_t best = 0;
  for (size_t i = 1; i < results.size(); ++i) {
    if (results[i].energy_delay_product_js < results[best].energy_delay_product_js) best = i;
  }
  return best;
}

}  // namespace edgelm::analysis
