// Board sources against fixtures: Jetson rails (hwmon and iio layouts, tegrastats), the
// Raspberry Pi 5 PMIC through a fake vcgencmd, and NVML through a fake libnvidia-ml.so.1.
#include <dlfcn.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "telemetry/discovery.h"
#include "telemetry/energy.h"
#include "test_util.h"

namespace edgelm::telemetry {
namespace {

using testing::kMs;
using testing::ManualSeries;
using testing::TempTree;

const SourceFinding* Find(const Discovery& d, const std::string& source, SourceFinding::State state) {
  for (const auto& f : d.findings) {
    if (f.source == source && f.state == state) return &f;
  }
  return nullptr;
}

// Orin Nano, JetPack 5+: ina3221 hwmon with rail labels on the bus-voltage inputs.
void OrinHwmon(const TempTree& t) {
  const std::string d = "sys/class/hwmon/hwmon1";
  t.Write(d + "/name", "ina3221\n");
  t.Write(d + "/in1_label", "VDD_IN\n");
  t.Write(d + "/in1_input", "5000\n");
  t.Write(d + "/curr1_input", "1200\n");  // 6 W
  t.Write(d + "/in2_label", "VDD_CPU_GPU_CV\n");
  t.Write(d + "/in2_input", "5000\n");
  t.Write(d + "/curr2_input", "300\n");  // 1.5 W, inside VDD_IN
  t.Write(d + "/in3_label", "VDD_SOC\n");
  t.Write(d + "/in3_input", "5000\n");
  t.Write(d + "/curr3_input", "280\n");
}

TEST(JetsonTest, HwmonLayoutUsesVddInAsTheBoardTotal) {
  TempTree t;
  OrinHwmon(t);
  t.Write("sys/class/hwmon/hwmon0/name", "ina226\n");  // an unrelated monitor stays hwmon
  t.Write("sys/class/hwmon/hwmon0/power1_input", "1000000\n");
  Discovery d;
  ToolPaths tools;
  tools.tegrastats = t.Abs("no-tegrastats");
  DiscoverJetson(SysfsRoot(t.path()), tools, &d);
  DiscoverHwmon(SysfsRoot(t.path()), &d);
  ASSERT_EQ(d.sensors.size(), 2u);
  Sensor& j = *d.sensors[0];
  EXPECT_EQ(j.source(), "jetson");
  EXPECT_NE(j.coverage().find("VDD_IN"), std::string::npos);
  ASSERT_EQ(j.channels().size(), 3u);
  EXPECT_TRUE(j.channels()[0].in_total);
  EXPECT_FALSE(j.channels()[1].in_total);
  EXPECT_FALSE(j.channels()[2].in_total);
  EXPECT_EQ(d.sensors[1]->name(), "hwmon:ina226@hwmon0");  // the Jetson device is not repeated
  ManualSeries m(j);
  for (int k = 0; k <= 10; ++k) m.ReadAt(k * 100 * kMs);
  IntervalAmount e = TotalEnergy(m.series(), j.channels(), 0, 1000 * kMs, 100 * kMs);
  ASSERT_TRUE(e.value) << e.reason;
  EXPECT_NEAR(*e.value, 6.0, 1e-9);
}

TEST(JetsonTest, OlderIioLayoutWithRailNames) {
  TempTree t;
  const std::string d = "sys/bus/i2c/drivers/ina3221x/6-0040/iio:device0";
  t.Write(d + "/rail_name_0", "POM_5V_IN\n");
  t.Write(d + "/in_power0_input", "3200\n");  // mW
  t.Write(d + "/rail_name_1", "POM_5V_GPU\n");
  t.Write(d + "/in_power1_input", "400\n");
  t.Write(d + "/rail_name_2", "POM_5V_CPU\n");
  t.Write(d + "/in_power2_input", "900\n");
  Discovery disc;
  DiscoverJetson(SysfsRoot(t.path()), ToolPaths{}, &disc);
  ASSERT_EQ(disc.sensors.size(), 1u);
  const auto& ch = disc.sensors[0]->channels();
  ASSERT_EQ(ch.size(), 3u);
  EXPECT_EQ(ch[0].name, "POM_5V_IN");
  EXPECT_TRUE(ch[0].in_total);
  EXPECT_FALSE(ch[1].in_total);
  std::vector<Sample> out;
  ASSERT_TRUE(disc.sensors[0]->Read(5, &out).ok());
  EXPECT_DOUBLE_EQ(out[0].values[0] * ch[0].to_si, 3.2);
}

TEST(JetsonTest, TegrastatsLineParsing) {
  auto orin = ParseTegrastatsLine(
      "11-21-2026 10:00:00 RAM 2448/7620MB (lfb 1x4MB) SWAP 0/3810MB (cached 0MB) CPU [1%@729,0%@729] "
      "EMC_FREQ 0% GR3D_FREQ 0% cpu@47.5C soc2@46.1C VDD_IN 5123mW/5123mW VDD_CPU_GPU_CV 1234mW/1200mW "
      "VDD_SOC 1473mW/1473mW");
  ASSERT_EQ(orin.size(), 3u);
  EXPECT_EQ(orin[0].rail, "VDD_IN");
  EXPECT_DOUBLE_EQ(orin[0].value, 5123);
  EXPECT_EQ(orin[1].rail, "VDD_CPU_GPU_CV");
  EXPECT_DOUBLE_EQ(orin[1].value, 1234);
  auto nano = ParseTegrastatsLine("RAM 1500/3964MB IRAM 0/252kB(lfb 252kB) POM_5V_IN 2341/2341 POM_5V_GPU 0/0 POM_5V_CPU 412/412");
  ASSERT_EQ(nano.size(), 3u);
  EXPECT_EQ(nano[0].rail, "POM_5V_IN");
  EXPECT_DOUBLE_EQ(nano[2].value, 412);
  EXPECT_TRUE(ParseTegrastatsLine("RAM 2448/7620MB SWAP 0/3810MB").empty());
  EXPECT_TRUE(ParseTegrastatsLine("").empty());
}

TEST(JetsonTest, TegrastatsFallbackStreams) {
  TempTree t;
  ToolPaths tools;
  tools.tegrastats = t.Script("bin/tegrastats",
                              "while :; do echo 'RAM 2448/7620MB CPU [1%@729] VDD_IN 5000mW/5000mW "
                              "VDD_CPU_GPU_CV 1234mW/1234mW VDD_SOC 1473mW/1473mW'; sleep 0.03; done\n");
  Discovery d;
  DiscoverJetson(SysfsRoot(t.path()), tools, &d);
  ASSERT_EQ(d.sensors.size(), 1u) << (d.findings.empty() ? "" : d.findings.back().detail);
  Sampler sampler;
  size_t i = sampler.Add(std::move(d.sensors[0]));
  ASSERT_TRUE(sampler.Start().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  ASSERT_TRUE(sampler.Stop().ok());
  Series s = sampler.Snapshot(i);
  ASSERT_GE(s.size(), 4u);
  const auto& ch = sampler.sensor(i).channels();
  EXPECT_TRUE(sampler.sensor(i).self_timed());
  IntervalAmount e = TotalEnergy(s, ch, s.t_ns.front(), s.t_ns.back(), 0);
  ASSERT_TRUE(e.value) << e.reason;
  EXPECT_NEAR(*e.value, 5.0 * double(s.t_ns.back() - s.t_ns.front()) * 1e-9, 1e-9);
}

constexpr const char* kPmicOutput =
    "     3V7_WL_SW_A current(0)=0.00000000A\n"
    "       3V3_SYS_A current(1)=0.05172000A\n"
    "     VDD_CORE_A current(7)=2.45610000A\n"
    "       HDMI_A current(22)=0.01854000A\n"
    "     3V7_WL_SW_V volt(8)=3.66698000V\n"
    "       3V3_SYS_V volt(9)=3.28404000V\n"
    "     VDD_CORE_V volt(15)=0.80000000V\n"
    "       HDMI_V volt(23)=5.15249000V\n"
    "      EXT5V_V volt(24)=5.14103000V\n"
    "       BATT_V volt(25)=0.00000000V\n";

TEST(Rpi5Test, PmicOutputPairsCurrentAndVoltagePerRail) {
  std::vector<std::string> unpaired;
  Result<std::vector<RailReading>> r = ParsePmicReadAdc(kPmicOutput, &unpaired);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[2].rail, "VDD_CORE");
  EXPECT_DOUBLE_EQ((*r)[2].value, 2.4561 * 0.8);
  EXPECT_EQ(unpaired, (std::vector<std::string>{"EXT5V", "BATT"}));
  EXPECT_FALSE(ParsePmicReadAdc("error=1 error_msg=\"Command not registered\"\n", nullptr).ok());
  EXPECT_FALSE(ParsePmicReadAdc("  VDD_CORE_A current(7)=abcA\n", nullptr).ok());
}

TEST(Rpi5Test, GetThrottledBits) {
  Result<ThrottledBits> b = ParseGetThrottled("throttled=0x50005\n");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->under_voltage);
  EXPECT_FALSE(b->freq_capped);
  EXPECT_TRUE(b->throttled);
  EXPECT_FALSE(b->soft_temp_limit);
  EXPECT_TRUE(b->under_voltage_occurred);
  EXPECT_FALSE(b->freq_capped_occurred);
  EXPECT_TRUE(b->throttled_occurred);
  EXPECT_FALSE(b->soft_temp_limit_occurred);
  EXPECT_EQ(b->Describe(), "under-voltage now; throttled now; under-voltage has occurred since boot; "
                           "throttling has occurred since boot");
  Result<ThrottledBits> all = ParseGetThrottled("throttled=0xF000F");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->freq_capped && all->soft_temp_limit && all->freq_capped_occurred && all->soft_temp_limit_occurred);
  EXPECT_EQ(ParseGetThrottled("throttled=0x0")->Describe(), "none");
  EXPECT_FALSE(ParseGetThrottled("throttled=banana").ok());
  EXPECT_FALSE(ParseGetThrottled("").ok());
}

TEST(Rpi5Test, FakeVcgencmdEndToEnd) {
  TempTree t;
  t.Write("adc.txt", kPmicOutput);
  ToolPaths tools;
  tools.vcgencmd = t.Script("bin/vcgencmd",
                            "case \"$1\" in\n"
                            "  pmic_read_adc) cat '" + t.Abs("adc.txt") + "' ;;\n"
                            "  get_throttled) echo 'throttled=0x20002' ;;\n"
                            "  *) echo 'error=1 error_msg=\"Command not registered\"'; exit 1 ;;\n"
                            "esac\n");
  Discovery d;
  DiscoverRpi5Pmic(SysfsRoot(t.path()), tools, &d);
  ASSERT_EQ(d.sensors.size(), 1u);
  Sensor& s = *d.sensors[0];
  EXPECT_EQ(s.source(), "rpi5-pmic");
  EXPECT_NE(s.coverage().find("not wall power"), std::string::npos);
  const SourceFinding* f = Find(d, "rpi5-pmic", SourceFinding::State::kReadable);
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->detail.find("EXT5V"), std::string::npos);
  std::vector<Sample> out;
  ASSERT_TRUE(s.Read(1, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  double total = 0;
  for (double v : out[0].values) total += v;
  EXPECT_NEAR(total, 0.05172 * 3.28404 + 2.4561 * 0.8 + 0.01854 * 5.15249, 1e-12);
  Result<ThrottledBits> b = ReadRpiThrottled(tools);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_TRUE(b->freq_capped && b->freq_capped_occurred);

  ToolPaths broken;
  broken.vcgencmd = t.Script("bin/vcgencmd_pi4", "echo 'error=2 error_msg=\"Command not registered\"'; exit 2\n");
  Discovery d2;
  DiscoverRpi5Pmic(SysfsRoot(t.path()), broken, &d2);
  EXPECT_TRUE(d2.sensors.empty());
  ASSERT_NE(Find(d2, "rpi5-pmic", SourceFinding::State::kUnreadable), nullptr);
  ToolPaths none;
  none.vcgencmd = t.Abs("bin/missing");
  Discovery d3;
  DiscoverRpi5Pmic(SysfsRoot(t.path()), none, &d3);
  ASSERT_NE(Find(d3, "rpi5-pmic", SourceFinding::State::kAbsent), nullptr);
}

class FakeNvml {
 public:
  FakeNvml() {
    handle_ = dlopen(FAKE_NVML_PATH, RTLD_NOW | RTLD_LOCAL);
    if (handle_) {
      set_ = reinterpret_cast<SetFn>(dlsym(handle_, "FakeNvmlSet"));
      shutdowns_ = reinterpret_cast<CountFn>(dlsym(handle_, "FakeNvmlShutdownCalls"));
    }
  }
  ~FakeNvml() {
    if (handle_) dlclose(handle_);
  }
  bool ok() const { return set_ && shutdowns_; }
  void Set(unsigned count, bool energy, unsigned long long mj, unsigned mw, bool fail_init = false) {
    set_(count, energy, mj, mw, fail_init);
  }
  int shutdowns() const { return shutdowns_(); }

 private:
  using SetFn = void (*)(unsigned, int, unsigned long long, unsigned, int);
  using CountFn = int (*)();
  void* handle_ = nullptr;
  SetFn set_ = nullptr;
  CountFn shutdowns_ = nullptr;
};

TEST(NvmlTest, EnergyCounterThroughDlopen) {
  FakeNvml fake;
  ASSERT_TRUE(fake.ok()) << dlerror();
  fake.Set(2, true, 5000, 0);
  ToolPaths tools;
  tools.nvml_library = FAKE_NVML_PATH;
  const int shutdowns_before = fake.shutdowns();
  {
    Discovery d;
    DiscoverNvml(tools, &d);
    ASSERT_EQ(d.sensors.size(), 1u);
    Sensor& s = *d.sensors[0];
    ASSERT_EQ(s.channels().size(), 2u);
    EXPECT_EQ(s.channels()[0].quantity, Quantity::kEnergyCounter);
    EXPECT_EQ(s.channels()[0].name, "gpu0 (Fake GPU 0)");
    EXPECT_NE(s.channels()[1].origin.find("nvmlDeviceGetTotalEnergyConsumption"), std::string::npos);
    const SourceFinding* f = Find(d, "nvml", SourceFinding::State::kReadable);
    ASSERT_NE(f, nullptr);
    EXPECT_NE(f->detail.find("MiB used"), std::string::npos);  // nvmlDeviceGetMemoryInfo
    ManualSeries m(s);
    for (int k = 0; k <= 10; ++k) {
      fake.Set(2, true, 5000 + 300ull * k, 0);  // 3 W per GPU
      m.ReadAt(k * 100 * kMs);
    }
    IntervalAmount e = TotalEnergy(m.series(), s.channels(), 0, 1000 * kMs, 100 * kMs);
    ASSERT_TRUE(e.value) << e.reason;
    EXPECT_NEAR(*e.value, 6.0, 1e-12);
  }
  EXPECT_EQ(fake.shutdowns(), shutdowns_before + 1);  // nvmlShutdown when the sensor goes
}

TEST(NvmlTest, PowerIntegratedWhereNoEnergyCounter) {
  FakeNvml fake;
  ASSERT_TRUE(fake.ok());
  fake.Set(1, false, 0, 75000);
  ToolPaths tools;
  tools.nvml_library = FAKE_NVML_PATH;
  Discovery d;
  DiscoverNvml(tools, &d);
  ASSERT_EQ(d.sensors.size(), 1u);
  Sensor& s = *d.sensors[0];
  EXPECT_EQ(s.channels()[0].quantity, Quantity::kPower);
  EXPECT_EQ(s.channels()[0].native_unit, "mW");
  ManualSeries m(s);
  for (int k = 0; k <= 5; ++k) m.ReadAt(k * 100 * kMs);
  IntervalAmount e = TotalEnergy(m.series(), s.channels(), 0, 500 * kMs, 100 * kMs);
  ASSERT_TRUE(e.value);
  EXPECT_NEAR(*e.value, 37.5, 1e-9);
}

TEST(NvmlTest, InitFailureAndMissingLibrary) {
  FakeNvml fake;
  ASSERT_TRUE(fake.ok());
  fake.Set(1, true, 0, 0, /*fail_init=*/true);
  ToolPaths tools;
  tools.nvml_library = FAKE_NVML_PATH;
  Discovery d;
  DiscoverNvml(tools, &d);
  EXPECT_TRUE(d.sensors.empty());
  const SourceFinding* f = Find(d, "nvml", SourceFinding::State::kUnreadable);
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->detail.find("nvmlInit_v2 failed"), std::string::npos) << f->detail;
  fake.Set(0, true, 0, 0);
  Discovery none;
  DiscoverNvml(tools, &none);
  EXPECT_NE(Find(none, "nvml", SourceFinding::State::kAbsent), nullptr);
  ToolPaths missing;
  missing.nvml_library = "/nonexistent/libnvidia-ml.so.1";
  Discovery m;
  DiscoverNvml(missing, &m);
  const SourceFinding* a = Find(m, "nvml", SourceFinding::State::kAbsent);
  ASSERT_NE(a, nullptr);
  EXPECT_NE(a->fix.find("NVIDIA driver"), std::string::npos);
}

}  // namespace
}  // namespace edgelm::telemetry
