#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "analysis/device.h"

namespace edgelm::analysis {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
const char* kDir = EDGELM_SOURCE_DIR "/data/devices";

// A throwaway directory tree for /proc/meminfo and profile fixtures.
std::string FixtureDir(const std::string& name) {
  const std::string dir = testing::TempDir() + "/analysis_" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir + "/proc");
  return dir;
}
void WriteFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(DeviceSpecTest, EveryShippedProfileHasItsFigures) {
  const std::string root_dir = FixtureDir("meminfo_all");
  WriteFile(root_dir + "/proc/meminfo", "MemTotal:       16384000 kB\nMemFree: 1 kB\nMemAvailable:    8192000 kB\n");
  auto all = LoadDeviceSpecs(kDir, telemetry::SysfsRoot(root_dir));
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  std::vector<std::string> ids;
  for (const DeviceSpec& d : *all) {
    ids.push_back(d.id());
    ASSERT_TRUE(d.total_memory_bytes.has_value()) << d.id();
    ASSERT_TRUE(d.usable_memory_bytes.has_value()) << d.id();
    EXPECT_LE(d.usable_memory_bytes->value, d.total_memory_bytes->value) << d.id();
    EXPECT_FALSE(d.usable_memory_bytes->source.empty()) << d.id();
    if (d.id() == "this-machine") continue;
    ASSERT_TRUE(d.memory_bandwidth_bytes_per_s.has_value()) << d.id();
    EXPECT_NE(d.memory_bandwidth_bytes_per_s->source.find("peak"), std::string::npos) << d.id();
    ASSERT_TRUE(d.compute_flops_per_s.has_value()) << d.id();
    auto power = DevicePower(d, "");
    ASSERT_TRUE(power.ok()) << d.id();
    EXPECT_LE(power->idle_watts.value, power->peak_watts.value);
    if (d.price_usd && d.price_usd->provenance == Provenance::kPublished) {
      EXPECT_FALSE(d.price_usd->date.empty()) << d.id() << ": a published price needs its date";
    }
  }
  const std::vector<std::string> expected = {
      "jetson-orin-nano-8gb", "jetson-orin-nx-16gb", "laptop-x86",         "orange-pi-5-8gb",
      "raspberry-pi-4-4gb",   "raspberry-pi-4-8gb",  "raspberry-pi-5-16gb", "raspberry-pi-5-4gb",
      "raspberry-pi-5-8gb",   "this-machine"};
  EXPECT_EQ(ids, expected);
}

TEST(DeviceSpecTest, PublishedFiguresOfThePi5) {
  auto pi = FindDeviceSpec("raspberry-pi-5-8gb", kDir, telemetry::SysfsRoot("/"));
  ASSERT_TRUE(pi.ok()) << pi.status().ToString();
  EXPECT_DOUBLE_EQ(pi->total_memory_bytes->value, 8 * kGiB);
  EXPECT_EQ(pi->total_memory_bytes->provenance, Provenance::kPublished);
  EXPECT_DOUBLE_EQ(pi->usable_memory_bytes->value, 7.4 * kGiB);
  EXPECT_EQ(pi->usable_memory_bytes->provenance, Provenance::kAssumed);
  EXPECT_DOUBLE_EQ(pi->memory_bandwidth_bytes_per_s->value, 17.07e9);  // 4267 MT/s x 4 bytes
  ASSERT_TRUE(pi->price_usd.has_value());
  EXPECT_DOUBLE_EQ(pi->price_usd->value, 80);
  EXPECT_EQ(pi->power_provenance, Provenance::kPublished);
}

TEST(DeviceSpecTest, JetsonModesKeepTheTelemetryKeys) {
  auto j = FindDeviceSpec("jetson-orin-nano-8gb", kDir, telemetry::SysfsRoot("/"));
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->profile.modes.size(), 3u);
  auto p7 = DevicePower(*j, "7W");
  auto p25 = DevicePower(*j, "25W");
  ASSERT_TRUE(p7.ok() && p25.ok());
  EXPECT_DOUBLE_EQ(p7->peak_watts.value, 8.5);
  EXPECT_DOUBLE_EQ(p25->peak_watts.value, 26.5);
  EXPECT_NE(p7->peak_watts.source.find("mode 7W"), std::string::npos);
  auto bad = DevicePower(*j, "40W");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("15W"), std::string::npos);
}

TEST(DeviceSpecTest, ThisMachineMeasuresMeminfoUnderTheSysfsRoot) {
  const std::string root_dir = FixtureDir("meminfo");
  WriteFile(root_dir + "/proc/meminfo", "MemTotal:        8000000 kB\nMemAvailable:    5000000 kB\n");
  auto d = FindDeviceSpec("this-machine", kDir, telemetry::SysfsRoot(root_dir));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_DOUBLE_EQ(d->total_memory_bytes->value, 8000000.0 * 1024);
  EXPECT_DOUBLE_EQ(d->usable_memory_bytes->value, 5000000.0 * 1024);
  EXPECT_EQ(d->usable_memory_bytes->provenance, Provenance::kMeasured);
  EXPECT_NE(d->usable_memory_bytes->source.find("MemAvailable"), std::string::npos);
  EXPECT_FALSE(d->memory_bandwidth_bytes_per_s.has_value());

  // Unreadable meminfo: memory absent with a note, not a failure.
  const std::string empty_root = FixtureDir("meminfo_none");
  auto none = FindDeviceSpec("this-machine", kDir, telemetry::SysfsRoot(empty_root));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->usable_memory_bytes.has_value());
  ASSERT_FALSE(none->notes.empty());
  // Malformed meminfo.
  WriteFile(empty_root + "/proc/meminfo", "MemTotal: lots\n");
  EXPECT_EQ(ReadMemInfo(telemetry::SysfsRoot(empty_root)).status().code(), StatusCode::kCorrupt);
}

TEST(DeviceSpecTest, UnknownDeviceListsTheKnownOnes) {
  auto r = FindDeviceSpec("toaster", kDir, telemetry::SysfsRoot("/"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("raspberry-pi-5-8gb"), std::string::npos);
  EXPECT_NE(r.status().message().find("jetson-orin-nx-16gb"), std::string::npos);
}

TEST(DeviceSpecTest, MalformedFiguresAreErrors) {
  const std::string dir = FixtureDir("bad_profiles");
  const std::string power = "[power]\nidle_watts = 1\nmax_watts = 2\nbasis = 'b'\n";
  WriteFile(dir + "/noprov.toml", power + "[memory]\ntotal_gib = { value = 4, source = 's' }\n");
  auto noprov = LoadDeviceSpecFile(dir + "/noprov.toml", telemetry::SysfsRoot("/"));
  ASSERT_FALSE(noprov.ok());
  EXPECT_NE(noprov.status().message().find("total_gib"), std::string::npos);
  WriteFile(dir + "/badprov.toml", power + "[memory]\ntotal_gib = { value = 4, provenance = 'rumour', source = 's' }\n");
  EXPECT_FALSE(LoadDeviceSpecFile(dir + "/badprov.toml", telemetry::SysfsRoot("/")).ok());
  WriteFile(dir + "/nosource.toml", power + "[price]\nusd = { value = 4, provenance = 'published' }\n");
  EXPECT_FALSE(LoadDeviceSpecFile(dir + "/nosource.toml", telemetry::SysfsRoot("/")).ok());
  WriteFile(dir + "/negative.toml", power + "[memory]\nbandwidth_gb_per_s = { value = -4, provenance = 'published', source = 's' }\n");
  EXPECT_FALSE(LoadDeviceSpecFile(dir + "/negative.toml", telemetry::SysfsRoot("/")).ok());
  WriteFile(dir + "/plain.toml", power + "[memory]\ntotal_gib = 4\n");
  EXPECT_FALSE(LoadDeviceSpecFile(dir + "/plain.toml", telemetry::SysfsRoot("/")).ok());
  WriteFile(dir + "/inverted.toml", power +
            "[memory]\ntotal_gib = { value = 4, provenance = 'published', source = 's' }\n"
            "usable_gib = { value = 5, provenance = 'assumed', source = 's' }\n");
  auto inv = LoadDeviceSpecFile(dir + "/inverted.toml", telemetry::SysfsRoot("/"));
  ASSERT_FALSE(inv.ok());
  EXPECT_NE(inv.status().message().find("exceeds"), std::string::npos);
}

}  // namespace
}  // namespace edgelm::analysis

#include "analysis/bandwidth.h"

namespace edgelm::analysis {
namespace {

TEST(BandwidthTest, SmallBufferMeasuresSomething) {
  // 4 MiB, 2 threads: a smoke test of the arithmetic and labels, not a benchmark.
  auto bw = MeasureReadBandwidth(4u << 20, 2, 2);
  ASSERT_TRUE(bw.ok()) << bw.status().ToString();
  EXPECT_GT(bw->value, 1e7);  // more than 10 MB/s on anything that runs the tests
  EXPECT_EQ(bw->provenance, Provenance::kMeasured);
  EXPECT_NE(bw->source.find("not peak"), std::string::npos);
  EXPECT_FALSE(MeasureReadBandwidth(1000, 1, 1).ok());
  EXPECT_FALSE(MeasureReadBandwidth(4u << 20, 1, 0).ok());
}

}  // namespace
}  // namespace edgelm::analysis
