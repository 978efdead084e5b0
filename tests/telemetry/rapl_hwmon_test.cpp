// RAPL and hwmon against fixture trees laid out as the kernel does
// (Documentation/power/powercap/powercap.rst, Documentation/hwmon/sysfs-interface.rst).
#include <cerrno>

#include <gtest/gtest.h>

#include "telemetry/discovery.h"
#include "telemetry/energy.h"
#include "test_util.h"

namespace edgelm::telemetry {
namespace {

using testing::kMs;
using testing::ManualSeries;
using testing::TempTree;

void RaplZone(const TempTree& t, const std::string& zone, const std::string& name, uint64_t energy,
              uint64_t range = 262143328850ull) {
  const std::string d = "sys/class/powercap/" + zone;
  t.Write(d + "/name", name + "\n");
  t.Write(d + "/energy_uj", std::to_string(energy) + "\n");
  t.Write(d + "/max_energy_range_uj", std::to_string(range) + "\n");
}

// A laptop-like tree: package with core/uncore/dram subzones, psys, and the MMIO copy.
void LaptopRapl(const TempTree& t) {
  t.Write("sys/class/powercap/intel-rapl/enabled", "1\n");  // the control type dir, no counter
  RaplZone(t, "intel-rapl:0", "package-0", 1000);
  RaplZone(t, "intel-rapl:0:0", "core", 1000);
  RaplZone(t, "intel-rapl:0:1", "uncore", 1000);
  RaplZone(t, "intel-rapl:0:2", "dram", 1000);
  RaplZone(t, "intel-rapl:1", "psys", 1000);
  RaplZone(t, "intel-rapl-mmio:0", "package-0", 1000);
}

const SourceFinding* Find(const Discovery& d, const std::string& source, SourceFinding::State state) {
  for (const auto& f : d.findings) {
    if (f.source == source && f.state == state) return &f;
  }
  return nullptr;
}

TEST(RaplTest, PsysAloneOrPackagesPlusDramNeverBoth) {
  TempTree t;
  LaptopRapl(t);
  for (bool prefer_psys : {true, false}) {
    Discovery d;
    DiscoverRapl(SysfsRoot(t.path()), prefer_psys, &d);
    ASSERT_EQ(d.sensors.size(), 1u);
    const auto& ch = d.sensors[0]->channels();
    ASSERT_EQ(ch.size(), 5u);  // the mmio copy is skipped
    std::string counted;
    for (const auto& c : ch) {
      if (c.in_total) counted += c.name + ";";
      EXPECT_EQ(c.native_unit, "uJ");
      EXPECT_EQ(c.wrap_range, 262143328850.0);
    }
    EXPECT_EQ(counted, prefer_psys ? "psys@intel-rapl:1;" : "package-0;dram@intel-rapl:0:2;");
    EXPECT_NE(Find(d, "rapl", SourceFinding::State::kReadable), nullptr);
    bool mmio_noted = false;
    for (const auto& f : d.findings) mmio_noted |= f.what == "intel-rapl-mmio" && f.detail.find("twice") != std::string::npos;
    EXPECT_TRUE(mmio_noted);
  }
}

TEST(RaplTest, WrapAroundDuringAPhaseGivesExactJoules) {
  // Package counter range 100 J (1e8 uJ) starting 6 J below the top, so it wraps
  // between 0.2 s and 0.3 s; 25 W package and 4 W DRAM sampled every 100 ms: a phase over
  // [0.2 s, 1.0 s] is (25 + 4) * 0.8 = 23.2 J.
  TempTree t;
  const uint64_t range = 100'000'000;
  uint64_t pkg = range - 6'000'000, dram = 50'000'000, core = 0;
  RaplZone(t, "intel-rapl:0", "package-0", pkg, range);
  RaplZone(t, "intel-rapl:0:0", "core", core, range);
  RaplZone(t, "intel-rapl:0:2", "dram", dram, range);
  Discovery d;
  DiscoverRapl(SysfsRoot(t.path()), true, &d);
  ASSERT_EQ(d.sensors.size(), 1u);
  Sensor& s = *d.sensors[0];
  ManualSeries m(s);
  for (int k = 0; k <= 12; ++k) {
    t.Write("sys/class/powercap/intel-rapl:0/energy_uj", std::to_string(pkg) + "\n");
    t.Write("sys/class/powercap/intel-rapl:0:0/energy_uj", std::to_string(core) + "\n");
    t.Write("sys/class/powercap/intel-rapl:0:2/energy_uj", std::to_string(dram) + "\n");
    m.ReadAt(k * 100 * kMs);
    pkg = (pkg + 2'500'000) % range;  // 25 W x 0.1 s
    dram = (dram + 400'000) % range;
    core = (core + 1'500'000) % range;
  }
  IntervalAmount e = TotalEnergy(m.series(), s.channels(), 200 * kMs, 1000 * kMs, 100 * kMs);
  ASSERT_TRUE(e.value) << e.reason;
  EXPECT_NEAR(*e.value, 23.2, 1e-9);
  EXPECT_EQ(e.wraps, 1);
  EXPECT_EQ(e.n_samples, 9u);
  // The package channel alone, from the sample before the wrap to after it.
  IntervalAmount p = ChannelAmount(m.series(), 0, s.channels()[0], 0, 1200 * kMs, 100 * kMs);
  ASSERT_TRUE(p.value);
  EXPECT_NEAR(*p.value, 30.0, 1e-9);
}

TEST(RaplTest, UnreadableCounterExplainsTheFix) {
  TempTree t;
  RaplZone(t, "intel-rapl:0", "package-0", 5);
  SysfsRoot root(t.path());
  if (testing::ChmodBlocksReads(t)) {
    chmod(t.Abs("sys/class/powercap/intel-rapl:0/energy_uj").c_str(), 0);
  } else {
    // Running as root: chmod 000 does not block reads, so inject the EACCES that a
    // normal user gets since Linux 5.10.
    root.SetFaultInjector([](const std::string& p) {
      return p.find("energy_uj") != std::string::npos ? EACCES : 0;
    });
  }
  Discovery d;
  DiscoverRapl(root, true, &d);
  EXPECT_TRUE(d.sensors.empty());
  const SourceFinding* f = Find(d, "rapl", SourceFinding::State::kUnreadable);
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->detail.find("Permission denied"), std::string::npos) << f->detail;
  EXPECT_NE(f->fix.find("Linux 5.10"), std::string::npos);
  EXPECT_NE(f->fix.find("sudo chmod o+r /sys/class/powercap/intel-rapl:*/energy_uj"), std::string::npos);
  EXPECT_NE(f->fix.find("/etc/udev/rules.d/99-edgelm-rapl.rules"), std::string::npos);
  EXPECT_NE(f->fix.find("SUBSYSTEM==\"powercap\""), std::string::npos);
  EXPECT_EQ(Find(d, "rapl", SourceFinding::State::kAbsent), nullptr);  // present, not absent
}

TEST(RaplTest, GarbageAndAbsence) {
  TempTree t;
  RaplZone(t, "intel-rapl:0", "package-0", 5);
  t.Write("sys/class/powercap/intel-rapl:0/energy_uj", "not a number\n");
  Discovery d;
  DiscoverRapl(SysfsRoot(t.path()), true, &d);
  EXPECT_TRUE(d.sensors.empty());
  const SourceFinding* f = Find(d, "rapl", SourceFinding::State::kUnreadable);
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->detail.find("expected an unsigned decimal integer"), std::string::npos) << f->detail;

  TempTree empty;
  Discovery none;
  DiscoverRapl(SysfsRoot(empty.path()), true, &none);
  EXPECT_TRUE(none.sensors.empty());
  ASSERT_NE(Find(none, "rapl", SourceFinding::State::kAbsent), nullptr);
}

TEST(RaplTest, AmdNamingIsAccepted) {
  TempTree t;
  RaplZone(t, "amd-rapl:0", "package-0", 5);
  Discovery d;
  DiscoverRapl(SysfsRoot(t.path()), true, &d);
  ASSERT_EQ(d.sensors.size(), 1u);
  EXPECT_TRUE(d.sensors[0]->channels()[0].in_total);
}

TEST(HwmonTest, Ina3221VoltageTimesCurrentPairedByIndexAndLabel) {
  TempTree t;
  // INA3221 (hwmon driver ina3221): in1..3 bus voltage with labels, curr1..3 current.
  const std::string d = "sys/class/hwmon/hwmon2";
  t.Write(d + "/name", "ina3221\n");
  t.Write(d + "/update_interval", "20\n");
  t.Write(d + "/in1_label", "5V_MAIN\n");
  t.Write(d + "/in1_input", "5000\n");
  t.Write(d + "/curr1_input", "400\n");
  t.Write(d + "/in2_label", "3V3\n");
  t.Write(d + "/in2_input", "3300\n");
  t.Write(d + "/curr2_input", "1000\n");
  t.Write(d + "/in3_label", "NC\n");
  t.Write(d + "/in3_input", "0\n");
  t.Write(d + "/curr3_input", "0\n");
  t.Write(d + "/in4_input", "12\n");  // shunt voltage: no current partner
  t.Write("sys/class/hwmon/hwmon0/name", "coretemp\n");  // no power channels
  t.Write("sys/class/hwmon/hwmon0/temp1_input", "45000\n");
  Discovery disc;
  DiscoverHwmon(SysfsRoot(t.path()), &disc);
  ASSERT_EQ(disc.sensors.size(), 1u);
  Sensor& s = *disc.sensors[0];
  EXPECT_EQ(s.name(), "hwmon:ina3221@hwmon2");
  EXPECT_EQ(s.source(), "hwmon");
  EXPECT_EQ(s.min_update_interval_ns(), 20 * kMs);
  ASSERT_EQ(s.channels().size(), 2u);  // NC skipped
  EXPECT_EQ(s.channels()[0].name, "5V_MAIN");
  EXPECT_EQ(s.channels()[1].name, "3V3");
  ManualSeries m(s);
  for (int k = 0; k <= 5; ++k) m.ReadAt(k * 100 * kMs);
  Series series = m.series();
  EXPECT_DOUBLE_EQ(series.at(0, 0) * s.channels()[0].to_si, 2.0);  // 5 V x 0.4 A
  EXPECT_DOUBLE_EQ(series.at(0, 1) * s.channels()[1].to_si, 3.3);
  IntervalAmount e = TotalEnergy(series, s.channels(), 0, 500 * kMs, 100 * kMs);
  ASSERT_TRUE(e.value);
  EXPECT_NEAR(*e.value, 5.3 * 0.5, 1e-9);

  // Labels on current channels pair with the voltage channel of the same label.
  TempTree t2;
  const std::string d2 = "sys/class/hwmon/hwmon1";
  t2.Write(d2 + "/name", "ina219\n");
  t2.Write(d2 + "/curr1_label", "VBAT\n");
  t2.Write(d2 + "/curr1_input", "250\n");
  t2.Write(d2 + "/in0_label", "shunt\n");
  t2.Write(d2 + "/in0_input", "25\n");
  t2.Write(d2 + "/in1_label", "VBAT\n");
  t2.Write(d2 + "/in1_input", "12000\n");
  Discovery disc2;
  DiscoverHwmon(SysfsRoot(t2.path()), &disc2);
  ASSERT_EQ(disc2.sensors.size(), 1u);
  std::vector<Sample> out;
  ASSERT_TRUE(disc2.sensors[0]->Read(1, &out).ok());
  EXPECT_DOUBLE_EQ(out[0].values[0] * 1e-6, 3.0);  // 12 V x 0.25 A
}

TEST(HwmonTest, PowerAndEnergyChannels) {
  TempTree t;
  t.Write("sys/class/hwmon/hwmon3/name", "ina226\n");
  t.Write("sys/class/hwmon/hwmon3/power1_input", "4200000\n");  // uW
  t.Write("sys/class/hwmon/hwmon3/in1_input", "5000\n");
  t.Write("sys/class/hwmon/hwmon3/curr1_input", "840\n");
  // amd_energy: per-core counters inside the socket counter.
  t.Write("sys/class/hwmon/hwmon4/name", "amd_energy\n");
  t.Write("sys/class/hwmon/hwmon4/energy1_label", "Ecore000\n");
  t.Write("sys/class/hwmon/hwmon4/energy1_input", "1000\n");
  t.Write("sys/class/hwmon/hwmon4/energy2_label", "Esocket0\n");
  t.Write("sys/class/hwmon/hwmon4/energy2_input", "5000\n");
  Discovery d;
  DiscoverHwmon(SysfsRoot(t.path()), &d);
  ASSERT_EQ(d.sensors.size(), 2u);
  const auto& p = d.sensors[0]->channels();
  ASSERT_EQ(p.size(), 1u);  // power preferred over V x I
  EXPECT_EQ(p[0].quantity, Quantity::kPower);
  EXPECT_EQ(p[0].native_unit, "uW");
  const auto& e = d.sensors[1]->channels();
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].quantity, Quantity::kEnergyCounter);
  EXPECT_FALSE(e[0].in_total);
  EXPECT_TRUE(e[1].in_total);
}

TEST(HwmonTest, UnreadableChannelIsReportedWithAFix) {
  TempTree t;
  t.Write("sys/class/hwmon/hwmon0/name", "ina226\n");
  t.Write("sys/class/hwmon/hwmon0/power1_input", "4200000\n");
  SysfsRoot root(t.path());
  root.SetFaultInjector([](const std::string& p) { return p.find("power1_input") != std::string::npos ? EACCES : 0; });
  Discovery d;
  DiscoverHwmon(root, &d);
  EXPECT_TRUE(d.sensors.empty());
  const SourceFinding* f = Find(d, "hwmon", SourceFinding::State::kUnreadable);
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->fix.find("udev"), std::string::npos);
}

TEST(SysfsTest, RootResolutionNaturalOrderAndParsing) {
  EXPECT_EQ(SysfsRoot("/").Resolve("/sys/x"), "/sys/x");
  EXPECT_EQ(SysfsRoot("/tmp/r/").Resolve("/sys/x"), "/tmp/r/sys/x");
  EXPECT_EQ(SysfsRoot::FromFlagOrEnv("/flag").root(), "/flag");
  EXPECT_TRUE(NaturalLess("hwmon2", "hwmon10"));
  EXPECT_TRUE(NaturalLess("intel-rapl:0", "intel-rapl:0:0"));
  EXPECT_FALSE(NaturalLess("cpu10", "cpu9"));
  EXPECT_EQ(ParseInt64(" 42\n"), 42);
  EXPECT_FALSE(ParseInt64("4x2"));
  EXPECT_FALSE(ParseInt64(""));
  EXPECT_FALSE(ParseDouble("nan"));
  TempTree t;
  t.Write("big", std::string(2 << 20, '1'));
  Result<std::string> r = SysfsRoot(t.path()).ReadText("/big");
  EXPECT_FALSE(r.ok());
  t.Mkdir("adir");
  Result<int64_t> dir = SysfsRoot(t.path()).ReadInt64("/adir");
  EXPECT_FALSE(dir.ok());
  Result<int64_t> missing = SysfsRoot(t.path()).ReadInt64("/nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace edgelm::telemetry
