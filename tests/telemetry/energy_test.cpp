// Integration and counter-difference arithmetic against analytic power traces.
#include "telemetry/energy.h"

#include <cmath>
#include <functional>

#include <gtest/gtest.h>

#include "test_util.h"

namespace edgelm::telemetry {
namespace {

using testing::kMs;
using testing::kSec;

ChannelInfo PowerW(const std::string& name = "p") { return {name, Quantity::kPower, "W", 1.0, 0.0, true, ""}; }
ChannelInfo CounterUj(double wrap = 0) { return {"e", Quantity::kEnergyCounter, "uJ", 1e-6, wrap, true, ""}; }

// One channel sampled every `step_ns` from t=0 to `end_ns` (inclusive).
Series Trace(const std::function<double(double)>& f, int64_t step_ns, int64_t end_ns) {
  Series s;
  s.n_channels = 1;
  for (int64_t t = 0; t <= end_ns; t += step_ns) {
    s.t_ns.push_back(t);
    s.values.push_back(f(double(t) * 1e-9));
  }
  return s;
}

TEST(EnergyTest, ConstantPowerIsExact) {
  Series s = Trace([](double) { return 10.0; }, 100 * kMs, 2 * kSec);
  IntervalAmount a = ChannelAmount(s, 0, PowerW(), 300 * kMs, 1500 * kMs, 100 * kMs);
  ASSERT_TRUE(a.value) << a.reason;
  EXPECT_NEAR(*a.value, 12.0, 1e-12);
  EXPECT_EQ(a.n_samples, 13u);
  EXPECT_DOUBLE_EQ(a.sample_interval_ms, 100.0);
  EXPECT_EQ(a.method, "trapezoid over power samples");
}

TEST(EnergyTest, RampIsExactWithTrapezoidEvenBetweenSamples) {
  // p(t) = 2 + 3t W: the integral over [0.25, 2.75] s is 2*2.5 + 1.5*(2.75^2 - 0.25^2) = 16.25 J.
  Series s = Trace([](double t) { return 2.0 + 3.0 * t; }, 100 * kMs, 3 * kSec);
  IntervalAmount a = ChannelAmount(s, 0, PowerW(), 250 * kMs, 2750 * kMs, 100 * kMs);
  ASSERT_TRUE(a.value) << a.reason;
  EXPECT_NEAR(*a.value, 16.25, 1e-9);
}

TEST(EnergyTest, StepIsWithinHalfAStepTimesOneInterval) {
  // 5 W before t = 1 s, 15 W from it. Analytic over [0.5, 1.5] s: 2.5 + 7.5 = 10 J. The
  // trapezoid ramps between the samples at 0.9 s (5 W) and 1.0 s (15 W): 10.5 J, which
  // is the exact expected result of the method; its error is bounded by
  // step x interval / 2 = 0.5 J.
  Series s = Trace([](double t) { return t < 1.0 - 1e-12 ? 5.0 : 15.0; }, 100 * kMs, 2 * kSec);
  IntervalAmount a = ChannelAmount(s, 0, PowerW(), 500 * kMs, 1500 * kMs, 100 * kMs);
  ASSERT_TRUE(a.value) << a.reason;
  EXPECT_NEAR(*a.value, 10.5, 1e-9);
  EXPECT_LE(std::fabs(*a.value - 10.0), 10.0 * 0.1 / 2 + 1e-9);
}

TEST(EnergyTest, CounterDifferenceHandlesWrapAroundExactly) {
  // 10 W = 1,000,000 uJ per 100 ms on a counter that wraps at 5,000,000 uJ.
  const double range = 5'000'000;
  Series s;
  s.n_channels = 1;
  double c = 3'500'000;
  for (int k = 0; k <= 20; ++k) {
    s.t_ns.push_back(k * 100 * kMs);
    s.values.push_back(c);
    c = std::fmod(c + 1'000'000, range);
  }
  IntervalAmount a = ChannelAmount(s, 0, CounterUj(range), 0, 1 * kSec, 100 * kMs);
  ASSERT_TRUE(a.value) << a.reason;
  EXPECT_DOUBLE_EQ(*a.value, 10.0);
  EXPECT_EQ(a.wraps, 2);
  EXPECT_EQ(a.method, "counter difference (wrap-aware)");
  // Interpolated ends: [0.35, 1.55] s at constant 10 W = 12 J.
  IntervalAmount b = ChannelAmount(s, 0, CounterUj(range), 350 * kMs, 1550 * kMs, 100 * kMs);
  ASSERT_TRUE(b.value) << b.reason;
  EXPECT_NEAR(*b.value, 12.0, 1e-9);
}

TEST(EnergyTest, CounterGoingBackwardsWithoutWrapRangeIsRefused) {
  Series s = Trace([](double t) { return t < 0.5 ? 1e6 * t : 10.0; }, 100 * kMs, 1 * kSec);
  IntervalAmount a = ChannelAmount(s, 0, CounterUj(0), 0, 1 * kSec, 100 * kMs);
  EXPECT_FALSE(a.value);
  EXPECT_NE(a.reason.find("went backwards"), std::string::npos) << a.reason;
}

TEST(EnergyTest, PhaseShorterThanThreeIntervalsIsRefusedWithTheNeededLength) {
  Series s = Trace([](double) { return 10.0; }, 100 * kMs, 2 * kSec);
  IntervalAmount a = ChannelAmount(s, 0, PowerW(), 500 * kMs, 700 * kMs, 100 * kMs);
  EXPECT_FALSE(a.value);
  EXPECT_NE(a.reason.find("too short for this sensor (needs >= 300 ms"), std::string::npos) << a.reason;
  // Streams: the observed spacing decides (sampling interval 0).
  IntervalAmount b = ChannelAmount(s, 0, PowerW(), 500 * kMs, 700 * kMs, 0);
  EXPECT_FALSE(b.value);
  IntervalAmount c = ChannelAmount(s, 0, PowerW(), 500 * kMs, 800 * kMs, 0);
  EXPECT_TRUE(c.value) << c.reason;
}

TEST(EnergyTest, IntervalsNotCoveredBySamplesAreRefused) {
  Series s = Trace([](double) { return 10.0; }, 100 * kMs, 2 * kSec);
  for (auto& t : s.t_ns) t += kSec;  // samples from 1 s to 3 s
  IntervalAmount before = ChannelAmount(s, 0, PowerW(), 500 * kMs, 2 * kSec, 100 * kMs);
  EXPECT_FALSE(before.value);
  EXPECT_NE(before.reason.find("no sample at or before the interval start"), std::string::npos);
  IntervalAmount after = ChannelAmount(s, 0, PowerW(), 2 * kSec, 4 * kSec, 100 * kMs);
  EXPECT_FALSE(after.value);
  EXPECT_NE(after.reason.find("no sample at or after the interval end"), std::string::npos);
  IntervalAmount empty = ChannelAmount(s, 0, PowerW(), 2 * kSec, 2 * kSec, 100 * kMs);
  EXPECT_FALSE(empty.value);
  Series one;
  one.n_channels = 1;
  one.t_ns = {0};
  one.values = {1};
  EXPECT_FALSE(ChannelAmount(one, 0, PowerW(), 0, kSec, 0).value);
}

TEST(EnergyTest, TotalCountsOnlyInTotalChannels) {
  Series s;
  s.n_channels = 3;
  for (int k = 0; k <= 10; ++k) {
    s.t_ns.push_back(k * 100 * kMs);
    // package 20 W, core 15 W (inside package), dram 3 W; counters in uJ.
    s.values.insert(s.values.end(), {2e6 * k, 1.5e6 * k, 3e5 * k});
  }
  std::vector<ChannelInfo> ch = {CounterUj(1e12), CounterUj(1e12), CounterUj(1e12)};
  ch[0].name = "package-0";
  ch[1].name = "core";
  ch[1].in_total = false;
  ch[2].name = "dram";
  IntervalAmount a = TotalEnergy(s, ch, 0, kSec, 100 * kMs);
  ASSERT_TRUE(a.value) << a.reason;
  EXPECT_NEAR(*a.value, 23.0, 1e-9);
  ch[0].in_total = ch[2].in_total = false;
  EXPECT_FALSE(TotalEnergy(s, ch, 0, kSec, 100 * kMs).value);
}

TEST(EnergyTest, PhaseFiguresGrossNetPerToken) {
  IntervalAmount g;
  g.t0_ns = 0;
  g.t1_ns = 1200 * kMs;
  g.value = 12.0;
  PhaseEnergy p = ComputePhaseEnergy(g, 2.0, 24);
  ASSERT_TRUE(p.avg_watts && p.net_joules && p.joules_per_token && p.net_joules_per_token && p.tokens_per_joule);
  EXPECT_DOUBLE_EQ(*p.avg_watts, 10.0);
  EXPECT_DOUBLE_EQ(*p.net_joules, 12.0 - 2.4);
  EXPECT_DOUBLE_EQ(*p.joules_per_token, 0.5);
  EXPECT_DOUBLE_EQ(*p.net_joules_per_token, 9.6 / 24);
  EXPECT_DOUBLE_EQ(*p.tokens_per_joule, 2.0);
  PhaseEnergy no_baseline = ComputePhaseEnergy(g, std::nullopt, 0);
  EXPECT_FALSE(no_baseline.net_joules);
  EXPECT_FALSE(no_baseline.joules_per_token);
  IntervalAmount missing;
  missing.reason = "too short";
  PhaseEnergy none = ComputePhaseEnergy(missing, 2.0, 10);
  EXPECT_FALSE(none.avg_watts);
  EXPECT_FALSE(none.net_joules);
  EXPECT_FALSE(none.joules_per_token);
}

TEST(EnergyTest, BufferKeepsTheNewestAndRefusesIntervalsIntoDroppedSamples) {
  SeriesBuffer b(1, 4);
  for (int k = 0; k < 10; ++k) EXPECT_TRUE(b.Push({k * 100 * kMs, {5.0}}));
  EXPECT_FALSE(b.Push({0, {5.0}}));  // out of order
  EXPECT_EQ(b.n_rejected(), 1u);
  Series s = b.Snapshot();
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s.t_ns.front(), 600 * kMs);
  EXPECT_EQ(s.n_dropped, 6u);
  EXPECT_EQ(s.dropped_until_ns, 500 * kMs);
  IntervalAmount a = ChannelAmount(s, 0, PowerW(), 400 * kMs, 900 * kMs, 100 * kMs);
  EXPECT_FALSE(a.value);
  EXPECT_NE(a.reason.find("dropped"), std::string::npos);
  IntervalAmount ok = ChannelAmount(s, 0, PowerW(), 600 * kMs, 900 * kMs, 100 * kMs);
  ASSERT_TRUE(ok.value) << ok.reason;
  EXPECT_NEAR(*ok.value, 1.5, 1e-12);
}

TEST(EnergyTest, LevelsOverAnInterval) {
  Series s = Trace([](double t) { return 40000 + 10000 * t; }, 100 * kMs, 1 * kSec);  // mC
  ChannelInfo temp{"zone", Quantity::kTemperature, "mC", 1e-3, 0.0, false, ""};
  LevelStats st = ChannelLevels(s, 0, temp, 200 * kMs, 400 * kMs);
  ASSERT_TRUE(st.max && st.min && st.mean);
  EXPECT_NEAR(*st.min, 42.0, 1e-9);
  EXPECT_NEAR(*st.max, 44.0, 1e-9);
  EXPECT_NEAR(*st.mean, 43.0, 1e-9);
  EXPECT_EQ(st.n_samples, 3u);
  // Between samples: the latest before stands for it.
  LevelStats between = ChannelLevels(s, 0, temp, 210 * kMs, 220 * kMs);
  ASSERT_TRUE(between.max);
  EXPECT_NEAR(*between.max, 42.0, 1e-9);
  EXPECT_FALSE(ChannelAmount(s, 0, temp, 0, kSec, 0).value);
}

}  // namespace
}  // namespace edgelm::telemetry
