// The Telemetry session API end to end, and `edgelm doctor` on the real machine and on
// fixture trees.
#include <cerrno>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "telemetry/doctor.h"
#include "telemetry/report_json.h"
#include "telemetry/telemetry.h"
#include "test_util.h"

namespace edgelm::telemetry {
namespace {

using testing::kMs;
using testing::TempTree;

void ThermalAndClocks(const TempTree& t) {
  t.Write("sys/class/thermal/thermal_zone0/type", "x86_pkg_temp\n");
  t.Write("sys/class/thermal/thermal_zone0/temp", "85000\n");
  t.Write("sys/class/thermal/thermal_zone0/trip_point_0_type", "passive\n");
  t.Write("sys/class/thermal/thermal_zone0/trip_point_0_temp", "80000\n");
  t.Write("sys/class/thermal/thermal_zone0/trip_point_1_type", "critical\n");
  t.Write("sys/class/thermal/thermal_zone0/trip_point_1_temp", "100000\n");
  t.Write("sys/class/thermal/thermal_zone1/type", "acpitz\n");
  t.Write("sys/class/thermal/thermal_zone1/temp", "40000\n");
  for (int cpu = 0; cpu < 2; ++cpu) {
    const std::string d = "sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/cpufreq";
    t.Write(d + "/cpuinfo_max_freq", "2000000\n");
    t.Write(d + "/scaling_max_freq", "2000000\n");
    t.Write(d + "/scaling_cur_freq", cpu == 0 ? "1200000\n" : "1990000\n");
    t.Write(d + "/scaling_governor", "schedutil\n");
  }
  t.Write("proc/meminfo", "MemTotal:        8000000 kB\nMemFree:  100 kB\nMemAvailable:    4000000 kB\n");
}

ToolPaths NoTools(const TempTree& t) {
  ToolPaths tools;
  tools.nvml_library = t.Abs("none/libnvidia-ml.so.1");
  tools.vcgencmd = t.Abs("none/vcgencmd");
  tools.tegrastats = t.Abs("none/tegrastats");
  return tools;
}

TEST(TelemetrySessionTest, BaselinePhasesThermalAndCounters) {
  TempTree t;
  ThermalAndClocks(t);
  TelemetryOptions o;
  o.sysfs_root = t.path();
  o.sources = {"external"};
  o.power_cmd = t.Script("meter.sh", "while :; do echo 8; sleep 0.02; done\n");
  o.thermal_interval_ns = 100 * kMs;
  o.cpufreq_interval_ns = 50 * kMs;
  o.tools = NoTools(t);
  Result<std::unique_ptr<Telemetry>> created = Telemetry::Create(o);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  Telemetry& tel = **created;
  EXPECT_TRUE(tel.has_measured_energy());
  EXPECT_FALSE(tel.MeasureIdleBaseline(100 * kMs).ok());  // before Start
  ASSERT_TRUE(tel.Start().ok());
  ASSERT_TRUE(tel.MeasureIdleBaseline(300 * kMs).ok());
  const int64_t a = MonotonicNs();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const int64_t b = MonotonicNs();
  tel.MarkPhase("decode", a, b, 30);
  tel.MarkPhase("tiny", b - 10 * kMs, b, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  std::vector<SourceEnergy> live = tel.EnergyBetween(a, b, 30);  // while running
  ASSERT_EQ(live.size(), 1u);
  ASSERT_TRUE(live[0].energy.gross.value) << live[0].energy.gross.reason;
  ASSERT_TRUE(tel.Stop().ok());

  TelemetryReport r = tel.Report();
  ASSERT_EQ(r.sources.size(), 1u);
  const SourceReport& src = r.sources[0];
  EXPECT_EQ(src.source, "external");
  EXPECT_FALSE(src.estimated);
  EXPECT_EQ(src.interval_ms, 0.0);  // self-timed stream
  ASSERT_TRUE(src.baseline_watts) << src.baseline.reason;
  EXPECT_NEAR(*src.baseline_watts, 8.0, 1e-9);
  ASSERT_EQ(r.phases.size(), 2u);
  const PhaseReport& decode = r.phases[0];
  ASSERT_EQ(decode.energy.size(), 1u);
  const PhaseEnergy& e = decode.energy[0].energy;
  ASSERT_TRUE(e.gross.value) << e.gross.reason;
  const double dur_s = double(b - a) * 1e-9;
  EXPECT_NEAR(*e.gross.value, 8.0 * dur_s, 1e-9);
  ASSERT_TRUE(e.net_joules && e.joules_per_token && e.tokens_per_joule && e.avg_watts);
  EXPECT_NEAR(*e.net_joules, 0.0, 1e-9);
  EXPECT_NEAR(*e.avg_watts, 8.0, 1e-9);
  EXPECT_NEAR(*e.joules_per_token, 8.0 * dur_s / 30, 1e-9);
  EXPECT_GT(e.gross.n_samples, 5u);
  const PhaseEnergy& tiny = r.phases[1].energy[0].energy;
  EXPECT_FALSE(tiny.gross.value);
  EXPECT_FALSE(tiny.joules_per_token);
  EXPECT_NE(tiny.gross.reason.find("too short for this sensor (needs >= "), std::string::npos) << tiny.gross.reason;

  const ThermalSummary& th = decode.thermal;
  ASSERT_EQ(th.zones.size(), 2u);
  EXPECT_TRUE(th.zones[0].at_trip);
  EXPECT_FALSE(th.zones[1].at_trip);
  ASSERT_TRUE(th.zones[0].max_c);
  EXPECT_DOUBLE_EQ(*th.zones[0].max_c, 85.0);
  EXPECT_DOUBLE_EQ(*th.zones[0].trip_c, 80.0);
  ASSERT_EQ(th.cores.size(), 2u);
  EXPECT_TRUE(th.cores[0].below_max);
  EXPECT_FALSE(th.cores[1].below_max);
  EXPECT_TRUE(th.throttling_suspected);
  EXPECT_NE(th.throttling_reason.find("trip point"), std::string::npos);
  EXPECT_NE(th.throttling_reason.find("cpu0"), std::string::npos);

  ASSERT_EQ(decode.counters.size(), 4u);
  for (const auto& c : decode.counters) EXPECT_TRUE(c.value.has_value() || !c.reason.empty()) << c.name;
  EXPECT_GT(r.overhead.wall_ns, 0);
  EXPECT_LT(r.overhead.core_fraction(), 0.05);
  ASSERT_TRUE(r.baseline_start_ns);

  // JSON: measured figures as numbers, refused ones as null with the reason (never 0).
  nlohmann::json j = nlohmann::json::parse(TelemetryReportJson(r));
  ASSERT_EQ(j["phases"].size(), 2u);
  const auto& je = j["phases"][0]["energy"][0];
  EXPECT_EQ(je["source"], "external");
  EXPECT_EQ(je["estimated"], false);
  EXPECT_NEAR(je["gross"]["joules"].get<double>(), *e.gross.value, 1e-12);
  EXPECT_NEAR(je["baseline_watts"].get<double>(), 8.0, 1e-9);
  const auto& jt = j["phases"][1]["energy"][0];
  EXPECT_TRUE(jt["gross"]["joules"].is_null());
  EXPECT_TRUE(jt["joules_per_token"].is_null());
  EXPECT_NE(jt["gross"]["reason"].get<std::string>().find("too short"), std::string::npos);
  EXPECT_EQ(j["phases"][0]["throttling_suspected"], true);
  EXPECT_EQ(j["phases"][0]["counters"].size(), 4u);
  EXPECT_EQ(j["sources"][0]["channels"][0]["unit"], "W");
}

TEST(TelemetrySessionTest, EstimateIsAlwaysMarked) {
  TempTree t;
  t.Write("proc/stat", "cpu  1000 0 0 9000 0 0 0 0 0 0\n");
  TelemetryOptions o;
  o.sysfs_root = t.path();
  o.tools = NoTools(t);
  o.device_profile = "raspberry-pi-4-4gb";
  o.thermal = o.cpufreq = o.perf_counters = false;
  Result<std::unique_ptr<Telemetry>> tel = Telemetry::Create(o);
  ASSERT_TRUE(tel.ok()) << tel.status().ToString();
  EXPECT_FALSE((*tel)->has_measured_energy());
  ASSERT_TRUE((*tel)->Start().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE((*tel)->Stop().ok());
  TelemetryReport r = (*tel)->Report();
  ASSERT_EQ(r.sources.size(), 1u);
  EXPECT_TRUE(r.sources[0].estimated);
  EXPECT_EQ(r.sources[0].source, "estimate");
  EXPECT_NE(r.sources[0].coverage.find("raspberry-pi-4-4gb"), std::string::npos);
  o.energy_interval_ns = 0;
  EXPECT_FALSE(Telemetry::Create(o).ok());
}

TEST(DoctorTest, RealMachine) {
  DoctorReport r = RunDoctor(DoctorOptions{});
  std::string text = DoctorText(r);
  EXPECT_NE(text.find("kernel path: " + r.best_isa), std::string::npos);
  EXPECT_NE(text.find("memory: "), std::string::npos);
  EXPECT_NE(text.find("counters:"), std::string::npos);
  EXPECT_NE(text.find("energy: "), std::string::npos);
  ASSERT_TRUE(r.system.mem_total_bytes);
  EXPECT_GT(*r.system.mem_total_bytes, 0);
  EXPECT_FALSE(r.system.cores.empty());
  EXPECT_EQ(r.counters.size(), 4u);
  for (const auto& c : r.counters) EXPECT_TRUE(c.supported || !c.reason.empty());
  nlohmann::json j = nlohmann::json::parse(DoctorJson(r));
  EXPECT_EQ(j["best_isa"], r.best_isa);
  EXPECT_EQ(j["counters"].size(), 4u);
  bool rapl_listed = false;
  for (const auto& s : j["energy_sources"]) rapl_listed |= s["source"] == "rapl";
  EXPECT_TRUE(rapl_listed);
  // Every source that is not readable carries a fix.
  for (const auto& s : j["energy_sources"]) {
    if (s["state"] != "readable") {
      EXPECT_TRUE(s.contains("fix")) << s.dump();
    }
  }
}

TEST(DoctorTest, FixtureWithReadableRaplBigLittleAndGovernor) {
  TempTree t;
  ThermalAndClocks(t);
  t.Write("sys/class/powercap/intel-rapl:0/name", "package-0\n");
  t.Write("sys/class/powercap/intel-rapl:0/energy_uj", "1000\n");
  t.Write("sys/class/powercap/intel-rapl:0/max_energy_range_uj", "262143328850\n");
  for (int cpu = 0; cpu < 8; ++cpu) {
    t.Write("sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/cpu_capacity", cpu < 4 ? "446\n" : "1024\n");
  }
  DoctorOptions o;
  o.sysfs_root = t.path();
  o.tools = NoTools(t);
  DoctorReport r = RunDoctor(o);
  std::string text = DoctorText(r);
  EXPECT_NE(text.find("[readable] rapl: intel-rapl:0 (package-0)"), std::string::npos) << text;
  EXPECT_NE(text.find("energy: measured: energy figures come from rapl"), std::string::npos) << text;
  EXPECT_NE(text.find("cluster capacity 1024: cpu 4-7"), std::string::npos) << text;
  EXPECT_NE(text.find("cluster capacity 446: cpu 0-3"), std::string::npos) << text;
  EXPECT_NE(text.find("memory: 7.63 GiB total, 3.81 GiB available"), std::string::npos) << text;
  EXPECT_NE(text.find("governor: schedutil"), std::string::npos);
  EXPECT_NE(text.find("cpupower frequency-set -g performance"), std::string::npos);
  EXPECT_NE(text.find("thermal_zone0 (x86_pkg_temp): 85.0 C, trip 80.0 C (passive)"), std::string::npos) << text;
  nlohmann::json j = nlohmann::json::parse(DoctorJson(r));
  EXPECT_EQ(j["mem_total_bytes"], 8000000LL * 1024);
  EXPECT_EQ(j["clusters"].size(), 2u);
  EXPECT_EQ(j["thermal_zones"][0]["trip_c"], 80.0);
}

TEST(DoctorTest, FixtureWithUnreadableRapl) {
  TempTree t;
  t.Write("sys/class/powercap/intel-rapl:0/name", "package-0\n");
  t.Write("sys/class/powercap/intel-rapl:0/energy_uj", "1000\n");
  t.Write("sys/class/powercap/intel-rapl:0/max_energy_range_uj", "262143328850\n");
  DoctorOptions o;
  o.sysfs_root = t.path();
  o.tools = NoTools(t);
  o.fault_injector = [](const std::string& p) { return p.find("energy_uj") != std::string::npos ? EACCES : 0; };
  DoctorReport r = RunDoctor(o);
  std::string text = DoctorText(r);
  EXPECT_NE(text.find("[unreadable] rapl: intel-rapl:0 (package-0)"), std::string::npos) << text;
  EXPECT_NE(text.find("fix: energy_uj is readable only by root since Linux 5.10"), std::string::npos);
  EXPECT_NE(text.find("a sensor exists but cannot be read"), std::string::npos);
}

TEST(DoctorTest, FixtureJetsonRpiNvmlAndNothing) {
  TempTree jetson;
  jetson.Write("sys/class/hwmon/hwmon1/name", "ina3221\n");
  jetson.Write("sys/class/hwmon/hwmon1/in1_label", "VDD_IN\n");
  jetson.Write("sys/class/hwmon/hwmon1/in1_input", "5000\n");
  jetson.Write("sys/class/hwmon/hwmon1/curr1_input", "1000\n");
  jetson.Write("proc/device-tree/model", std::string("NVIDIA Jetson Orin Nano Developer Kit") + '\0');
  DoctorOptions o;
  o.sysfs_root = jetson.path();
  o.tools = NoTools(jetson);
  DoctorReport jr = RunDoctor(o);
  std::string jt = DoctorText(jr);
  EXPECT_NE(jt.find("[readable] jetson"), std::string::npos) << jt;
  EXPECT_NE(jt.find("rails: VDD_IN"), std::string::npos);
  EXPECT_NE(jt.find("profile jetson-orin-nano-8gb"), std::string::npos) << jt;
  EXPECT_NE(jt.find("machine: NVIDIA Jetson Orin Nano Developer Kit"), std::string::npos);

  TempTree pi;
  pi.Write("adc.txt", "  VDD_CORE_A current(7)=2.00000000A\n  VDD_CORE_V volt(15)=0.80000000V\n");
  DoctorOptions po;
  po.sysfs_root = pi.path();
  po.tools = NoTools(pi);
  po.tools.vcgencmd = pi.Script("vcgencmd", "cat '" + pi.Abs("adc.txt") + "'\n");
  std::string pt = DoctorText(RunDoctor(po));
  EXPECT_NE(pt.find("[readable] rpi5-pmic"), std::string::npos) << pt;
  EXPECT_NE(pt.find("1 rails (VDD_CORE), now 1.6"), std::string::npos) << pt;

  TempTree gpu;
  DoctorOptions go;
  go.sysfs_root = gpu.path();
  go.tools = NoTools(gpu);
  go.tools.nvml_library = FAKE_NVML_PATH;
  std::string gt = DoctorText(RunDoctor(go));
  EXPECT_NE(gt.find("[readable] nvml: gpu0"), std::string::npos) << gt;

  TempTree empty;
  DoctorOptions eo;
  eo.sysfs_root = empty.path();
  eo.tools = NoTools(empty);
  DoctorReport er = RunDoctor(eo);
  EXPECT_EQ(er.energy_verdict, kNoSensorFix);
  std::string et = DoctorText(er);
  EXPECT_NE(et.find("no sensor on this hardware: use --power-cmd"), std::string::npos);
  EXPECT_NE(et.find("memory: unknown"), std::string::npos);
  EXPECT_NE(et.find("profile this-machine"), std::string::npos);
}

}  // namespace
}  // namespace edgelm::telemetry
