// External meters (a command printing watts, a timestamped log) and the labelled
// estimate from device profiles.
#include <chrono>
#include <cstdio>
#include <thread>

#include <gtest/gtest.h>

#include "core/clock.h"
#include "telemetry/discovery.h"
#include "telemetry/energy.h"
#include "test_util.h"

namespace edgelm::telemetry {
namespace {

using testing::kMs;
using testing::kSec;
using testing::TempTree;

TEST(ExternalTest, WattsLineAndLogLineParsing) {
  EXPECT_EQ(ParseWattsLine("12.5"), 12.5);
  EXPECT_EQ(ParseWattsLine(" 12.5 W\r"), 12.5);
  EXPECT_EQ(ParseWattsLine("3W"), 3.0);
  EXPECT_EQ(ParseWattsLine("1e1"), 10.0);
  EXPECT_FALSE(ParseWattsLine("12.5 mA"));
  EXPECT_FALSE(ParseWattsLine("watts"));
  EXPECT_FALSE(ParseWattsLine("-3"));
  EXPECT_FALSE(ParseWattsLine(""));
  auto a = ParsePowerLogLine("1700000000.250,12.5");
  ASSERT_TRUE(a);
  EXPECT_DOUBLE_EQ(a->unix_time_s, 1700000000.25);
  EXPECT_DOUBLE_EQ(a->watts, 12.5);
  auto b = ParsePowerLogLine("1700000000 ; 7 W");
  ASSERT_TRUE(b);
  EXPECT_DOUBLE_EQ(b->watts, 7.0);
  EXPECT_TRUE(ParsePowerLogLine("1700000000\t3.5"));
  EXPECT_FALSE(ParsePowerLogLine("time,watts"));
  EXPECT_FALSE(ParsePowerLogLine("1700000000"));
  EXPECT_FALSE(ParsePowerLogLine("1700000000,abc"));
}

TEST(ExternalTest, PowerCommandLinesAreStampedOnArrival) {
  TempTree t;
  std::string cmd = t.Script("meter.sh", "while :; do echo 12.5; sleep 0.02; done\n");
  Discovery d;
  AddExternal(cmd, "", &d);
  ASSERT_EQ(d.sensors.size(), 1u);
  EXPECT_EQ(d.sensors[0]->source(), "external");
  EXPECT_FALSE(d.sensors[0]->estimated());
  Sampler sampler;
  size_t i = sampler.Add(std::move(d.sensors[0]));
  const int64_t t0 = MonotonicNs();
  ASSERT_TRUE(sampler.Start().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  ASSERT_TRUE(sampler.Stop().ok());
  Series s = sampler.Snapshot(i);
  ASSERT_GE(s.size(), 8u);
  EXPECT_GE(s.t_ns.front(), t0);
  for (size_t k = 0; k < s.size(); ++k) EXPECT_EQ(s.at(k, 0), 12.5);
  const int64_t a = s.t_ns[1], b = s.t_ns[s.size() - 2];
  IntervalAmount e = ChannelAmount(s, 0, sampler.sensor(i).channels()[0], a, b, 0);
  ASSERT_TRUE(e.value) << e.reason;
  EXPECT_NEAR(*e.value, 12.5 * double(b - a) * 1e-9, 1e-9);
  EXPECT_GT(e.sample_interval_ms, 10.0);  // the meter's pace, observed
}

TEST(ExternalTest, PowerCommandGarbageAndExitAreErrorsNotNumbers) {
  TempTree t;
  std::string cmd = t.Script("bad.sh", "echo 5; echo 'hello'; echo 6 W\n");
  Discovery d;
  AddExternal(cmd, "", &d);
  Sampler sampler;
  size_t i = sampler.Add(std::move(d.sensors[0]));
  ASSERT_TRUE(sampler.Start().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_TRUE(sampler.Stop().ok());
  Series s = sampler.Snapshot(i);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s.at(0, 0), 5.0);
  EXPECT_EQ(s.at(1, 0), 6.0);
  SensorStats st = sampler.stats(i);
  EXPECT_GE(st.n_read_errors, 1u);
  EXPECT_FALSE(st.last_error.empty());
}

TEST(ExternalTest, PowerLogIsAlignedThroughTheWallMonotonicOffset) {
  TempTree t;
  // 10 W until wall time T, 30 W from T (samples every 100 ms), where T is 1 s from now.
  const int64_t wall_now = WallClockNs(), mono_now = MonotonicNs();
  const double t_step = double(wall_now) * 1e-9 + 1.0;
  std::string log = "# meter log\ntime,watts\n";
  for (int k = -20; k <= 30; ++k) {
    char line[64];
    std::snprintf(line, sizeof(line), "%.3f,%s\n", t_step + 0.1 * k, k < 0 ? "10" : "30");
    log += line;
  }
  t.Write("meter.csv", log);
  Discovery d;
  AddExternal("", t.Abs("meter.csv"), &d);
  ASSERT_EQ(d.sensors.size(), 1u);
  Sensor& s = *d.sensors[0];
  EXPECT_TRUE(s.self_timed());
  testing::ManualSeries m(s);
  m.ReadAt(MonotonicNs());
  Series series = m.series();
  ASSERT_EQ(series.size(), 51u);
  // The step is at mono_now + 1 s (within the clock-capture jitter, microseconds).
  const int64_t step_mono = mono_now + kSec;
  IntervalAmount before = ChannelAmount(series, 0, s.channels()[0], step_mono - 800 * kMs, step_mono - 200 * kMs, 0);
  ASSERT_TRUE(before.value) << before.reason;
  EXPECT_NEAR(*before.value, 10.0 * 0.6, 1e-3);
  IntervalAmount after = ChannelAmount(series, 0, s.channels()[0], step_mono + 200 * kMs, step_mono + 1200 * kMs, 0);
  ASSERT_TRUE(after.value) << after.reason;
  EXPECT_NEAR(*after.value, 30.0, 1e-3);
  // Appended lines are picked up by the next read; bad lines are errors.
  FILE* f = std::fopen(t.Abs("meter.csv").c_str(), "a");
  std::fprintf(f, "%.3f,30\nnot,a,reading\n", t_step + 3.2);
  std::fclose(f);
  std::vector<Sample> more;
  Status st = s.Read(0, &more);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(more.size(), 1u);
  Discovery missing;
  AddExternal("", t.Abs("nope.csv"), &missing);
  EXPECT_TRUE(missing.sensors.empty());
  EXPECT_EQ(missing.findings.back().state, SourceFinding::State::kUnreadable);
}

TEST(DeviceProfileTest, ShippedProfilesLoad) {
  Result<std::vector<DeviceProfile>> all = LoadDeviceProfiles(EDGELM_SOURCE_DIR "/data/devices");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  std::vector<std::string> ids;
  for (const auto& p : *all) {
    ids.push_back(p.id);
    EXPECT_FALSE(p.power_basis.empty());
    EXPECT_LE(p.power.idle_watts, p.power.max_watts);
  }
  for (const char* id : {"raspberry-pi-5-8gb", "raspberry-pi-4-4gb", "jetson-orin-nano-8gb", "laptop-x86", "this-machine"}) {
    EXPECT_NE(std::find(ids.begin(), ids.end(), id), ids.end()) << id;
  }
  Result<DeviceProfile> jetson = SelectDeviceProfile("jetson-orin-nano-8gb", EDGELM_SOURCE_DIR "/data/devices", SysfsRoot("/"));
  ASSERT_TRUE(jetson.ok());
  EXPECT_EQ(jetson->modes.size(), 3u);
  EXPECT_EQ(jetson->default_mode, "15W");
  Result<PowerModel> m7 = ProfilePowerModel(*jetson, "7W");
  ASSERT_TRUE(m7.ok());
  EXPECT_LT(m7->max_watts, ProfilePowerModel(*jetson, "25W")->max_watts);
  EXPECT_FALSE(ProfilePowerModel(*jetson, "40W").ok());
}

TEST(DeviceProfileTest, AutoSelectionAndBadFiles) {
  const std::string dir = EDGELM_SOURCE_DIR "/data/devices";
  TempTree pi;
  pi.Write("proc/device-tree/model", std::string("Raspberry Pi 5 Model B Rev 1.0") + '\0');
  Result<DeviceProfile> p = SelectDeviceProfile("auto", dir, SysfsRoot(pi.path()));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->id, "raspberry-pi-5-8gb");
  TempTree pc;
  pc.Write("sys/class/dmi/id/product_name", "Some Server\n");
  EXPECT_EQ(SelectDeviceProfile("auto", dir, SysfsRoot(pc.path()))->id, "this-machine");
  Result<DeviceProfile> unknown = SelectDeviceProfile("toaster", dir, SysfsRoot("/"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("known:"), std::string::npos);

  TempTree bad;
  bad.Write("inverted.toml", "name='x'\n[power]\nidle_watts=9\nmax_watts=3\nbasis='b'\n");
  EXPECT_FALSE(LoadDeviceProfileFile(bad.Abs("inverted.toml")).ok());
  bad.Write("nobasis.toml", "[power]\nidle_watts=1\nmax_watts=3\n");
  EXPECT_FALSE(LoadDeviceProfileFile(bad.Abs("nobasis.toml")).ok());
  bad.Write("syntax.toml", "[power\nidle_watts=");
  Result<DeviceProfile> syn = LoadDeviceProfileFile(bad.Abs("syntax.toml"));
  ASSERT_FALSE(syn.ok());
  EXPECT_NE(syn.status().message().find("line 1"), std::string::npos) << syn.status().ToString();
  bad.Write("modes.toml", "[power]\nbasis='b'\ndefault_mode='9W'\n[power.modes.5W]\nidle_watts=1\nmax_watts=5\n");
  EXPECT_FALSE(LoadDeviceProfileFile(bad.Abs("modes.toml")).ok());
}

TEST(EstimateTest, UtilisationScalesBetweenIdleAndMaxAndIsLabelled) {
  TempTree t;
  t.Write("proc/stat", "cpu  1000 0 0 9000 0 0 0 0 0 0\ncpu0 500 0 0 4500 0 0 0 0 0 0\n");
  Result<DeviceProfile> p = SelectDeviceProfile("raspberry-pi-5-8gb", EDGELM_SOURCE_DIR "/data/devices", SysfsRoot("/"));
  ASSERT_TRUE(p.ok());
  Discovery d;
  AddEstimate(SysfsRoot(t.path()), *p, "", &d);
  ASSERT_EQ(d.sensors.size(), 1u);
  Sensor& s = *d.sensors[0];
  EXPECT_TRUE(s.estimated());
  EXPECT_EQ(s.source(), "estimate");
  EXPECT_NE(s.coverage().find("ESTIMATED, not measured"), std::string::npos);
  EXPECT_NE(s.coverage().find("raspberry-pi-5-8gb"), std::string::npos);
  // +600 busy of +1200 total ticks: 50% -> 2.7 + 0.5 x (7.0 - 2.7) = 4.85 W.
  t.Write("proc/stat", "cpu  1400 100 100 9600 0 0 0 0 0 0\n");
  std::vector<Sample> out;
  ASSERT_TRUE(s.Read(1, &out).ok());
  EXPECT_NEAR(out[0].values[0], 4.85, 1e-12);
  // No tick passed: the last utilisation stands.
  ASSERT_TRUE(s.Read(2, &out).ok());
  EXPECT_NEAR(out[1].values[0], 4.85, 1e-12);
  t.Write("proc/stat", "intr 5\n");
  EXPECT_FALSE(s.Read(3, &out).ok());

  Discovery modes;
  Result<DeviceProfile> j = SelectDeviceProfile("jetson-orin-nano-8gb", EDGELM_SOURCE_DIR "/data/devices", SysfsRoot("/"));
  AddEstimate(SysfsRoot(t.path()), *j, "30W", &modes);
  EXPECT_TRUE(modes.sensors.empty());
  EXPECT_EQ(modes.findings.back().state, SourceFinding::State::kUnreadable);
}

TEST(DiscoveryTest, EstimateOnlyWhenNothingIsMeasuredUnlessNamed) {
  TempTree t;
  t.Write("proc/stat", "cpu  1000 0 0 9000 0 0 0 0 0 0\n");
  DiscoveryOptions o;
  o.root = SysfsRoot(t.path());
  o.tools.nvml_library = "/nonexistent.so";
  o.tools.vcgencmd = t.Abs("none");
  o.tools.tegrastats = t.Abs("none");
  o.device_profile = "laptop-x86";
  Result<Discovery> d = DiscoverEnergySources(o);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(d->sensors.size(), 1u);
  EXPECT_TRUE(d->sensors[0]->estimated());

  t.Write("sys/class/hwmon/hwmon0/name", "ina226\n");
  t.Write("sys/class/hwmon/hwmon0/power1_input", "1000000\n");
  Result<Discovery> measured = DiscoverEnergySources(o);
  ASSERT_TRUE(measured.ok());
  ASSERT_EQ(measured->sensors.size(), 1u);
  EXPECT_FALSE(measured->sensors[0]->estimated());

  o.sources = {"hwmon", "estimate"};
  Result<Discovery> both = DiscoverEnergySources(o);
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->sensors.size(), 2u);

  o.sources = {"bogus"};
  EXPECT_EQ(DiscoverEnergySources(o).status().code(), StatusCode::kInvalidArgument);
  o.sources = {"external"};
  EXPECT_EQ(DiscoverEnergySources(o).status().code(), StatusCode::kInvalidArgument);
  o.sources = {"estimate"};
  o.device_profile = "jetson-orin-nano-8gb:7W";
  Result<Discovery> mode = DiscoverEnergySources(o);
  ASSERT_TRUE(mode.ok());
  ASSERT_EQ(mode->sensors.size(), 1u);
  EXPECT_NE(mode->sensors[0]->coverage().find("mode 7W"), std::string::npos);
}

}  // namespace
}  // namespace edgelm::telemetry
