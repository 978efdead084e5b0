#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "analysis/pareto.h"

namespace edgelm::analysis {
namespace {

std::vector<size_t> Front(const std::vector<ObjectivePoint>& pts, Goal gx = Goal::kMaximize,
                          Goal gy = Goal::kMaximize) {
  auto r = ParetoFront(pts, gx, gy);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::vector<size_t>{};
}

TEST(ParetoTest, KnownFrontBothMaximised) {
  // (5,1) (4,3) (2,4) (1,5) are non-dominated; (3,2) < (4,3); (1,1) < all; (2,3) < (4,3) and (2,4).
  const std::vector<ObjectivePoint> pts = {{"a", 5, 1}, {"b", 3, 2}, {"c", 4, 3}, {"d", 1, 1},
                                           {"e", 2, 4}, {"f", 1, 5}, {"g", 2, 3}};
  EXPECT_EQ(Front(pts), (std::vector<size_t>{0, 2, 4, 5}));  // ordered by x, best first
}

TEST(ParetoTest, EmptyAndSingle) {
  EXPECT_TRUE(Front({}).empty());
  EXPECT_EQ(Front({{"only", -3, 7}}), (std::vector<size_t>{0}));
}

TEST(ParetoTest, ExactDuplicatesStayTogether) {
  // Two identical points on the front both stay; two identical dominated points both go.
  const std::vector<ObjectivePoint> pts = {{"a", 4, 4}, {"a2", 4, 4}, {"b", 1, 1}, {"b2", 1, 1}, {"c", 5, 2}};
  EXPECT_EQ(Front(pts), (std::vector<size_t>{4, 0, 1}));
}

TEST(ParetoTest, TiesInOneObjectiveAreDominated) {
  // Equal x, worse y: dominated. Equal y, worse x: dominated.
  const std::vector<ObjectivePoint> pts = {{"a", 3, 5}, {"b", 3, 4}, {"c", 2, 5}, {"d", 6, 1}};
  EXPECT_EQ(Front(pts), (std::vector<size_t>{3, 0}));
  EXPECT_TRUE(Dominates(pts[0], pts[1], Goal::kMaximize, Goal::kMaximize));
  EXPECT_TRUE(Dominates(pts[0], pts[2], Goal::kMaximize, Goal::kMaximize));
  EXPECT_FALSE(Dominates(pts[0], pts[0], Goal::kMaximize, Goal::kMaximize));  // not strictly better
  EXPECT_FALSE(Dominates(pts[0], pts[3], Goal::kMaximize, Goal::kMaximize));
}

TEST(ParetoTest, MixedGoalsQualityVersusMemory) {
  // x = quality (maximise), y = memory GiB (minimise).
  const std::vector<ObjectivePoint> pts = {{"q8", 0.90, 8.0}, {"q4", 0.85, 4.0}, {"q4bad", 0.80, 4.5},
                                           {"q2", 0.60, 2.5}, {"f16", 0.91, 15.0}, {"q4dup", 0.85, 4.0}};
  EXPECT_EQ(Front(pts, Goal::kMaximize, Goal::kMinimize), (std::vector<size_t>{4, 0, 1, 5, 3}));
  // Both minimised: (0.60, 2.5) dominates everything with higher values in both.
  EXPECT_EQ(Front(pts, Goal::kMinimize, Goal::kMinimize), (std::vector<size_t>{3}));
}

TEST(ParetoTest, AgreesWithBruteForce) {
  // A deterministic pseudo-random set with many ties (values on a coarse grid).
  std::vector<ObjectivePoint> pts;
  uint32_t s = 12345;
  for (int i = 0; i < 200; ++i) {
    s = s * 1664525u + 1013904223u;
    const double x = (s >> 8) % 13;
    s = s * 1664525u + 1013904223u;
    const double y = (s >> 8) % 11;
    pts.push_back({std::to_string(i), x, y});
  }
  for (Goal gx : {Goal::kMaximize, Goal::kMinimize}) {
    for (Goal gy : {Goal::kMaximize, Goal::kMinimize}) {
      std::vector<size_t> front = Front(pts, gx, gy);
      std::sort(front.begin(), front.end());
      std::vector<size_t> brute;
      for (size_t i = 0; i < pts.size(); ++i) {
        bool dominated = false;
        for (size_t j = 0; j < pts.size() && !dominated; ++j) dominated = Dominates(pts[j], pts[i], gx, gy);
        if (!dominated) brute.push_back(i);
      }
      EXPECT_EQ(front, brute);
      EXPECT_FALSE(front.empty());
    }
  }
}

TEST(ParetoTest, NonFiniteIsAnError) {
  auto r = ParetoFront({{"ok", 1, 1}, {"bad", std::nan(""), 2}}, Goal::kMaximize, Goal::kMaximize);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("'bad'"), std::string::npos);
  EXPECT_FALSE(ParetoFront({{"inf", std::numeric_limits<double>::infinity(), 1}}, Goal::kMaximize, Goal::kMaximize).ok());
}

TEST(ThroughputEnergyTest, FrontAndEnergyDelayProduct) {
  const std::vector<ThroughputEnergyConfig> cfg = {
      {"q4-4t", 20.0, 4.0},   // EDP = 1 / (20 x 4) = 0.0125 J.s
      {"q4-2t", 12.0, 5.0},   // EDP = 1 / 60 = 0.016667
      {"q8-4t", 10.0, 2.0},   // dominated by q4-4t: EDP 0.05
      {"f16-4t", 5.0, 1.0},   // dominated: EDP 0.2
      {"q4-1t", 6.0, 5.0},    // equal efficiency to q4-2t but slower: dominated
  };
  auto r = ThroughputEnergyFront(cfg);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 5u);
  EXPECT_TRUE((*r)[0].on_front);
  EXPECT_TRUE((*r)[1].on_front);
  EXPECT_FALSE((*r)[2].on_front);
  EXPECT_FALSE((*r)[3].on_front);
  EXPECT_FALSE((*r)[4].on_front);
  EXPECT_DOUBLE_EQ((*r)[0].energy_delay_product_js, 0.0125);
  EXPECT_DOUBLE_EQ((*r)[1].energy_delay_product_js, 1.0 / 60.0);
  EXPECT_DOUBLE_EQ((*r)[3].energy_delay_product_js, 0.2);
  EXPECT_EQ(MinEnergyDelayIndex(*r), std::optional<size_t>(0));
  EXPECT_EQ(MinEnergyDelayIndex({}), std::nullopt);
}

TEST(ThroughputEnergyTest, RejectsUnmeasuredValues) {
  auto zero = ThroughputEnergyFront({{"a", 10, 0}});
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.status().message().find("'a'"), std::string::npos);
  EXPECT_FALSE(ThroughputEnergyFront({{"b", -1, 2}}).ok());
  EXPECT_FALSE(ThroughputEnergyFront({{"c", std::nan(""), 2}}).ok());
}

}  // namespace
}  // namespace edgelm::analysis
