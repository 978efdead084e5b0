#include "telemetry/doctor.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "core/cpu_features.h"

namespace edgelm::telemetry {
namespace {

std::string Gib(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f GiB", double(bytes) / double(1LL << 30));
  return buf;
}

std::string CpuList(const std::vector<int>& cpus) {
  std::string s;
  size_t i = 0;
  while (i < cpus.size()) {
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    s += (s.empty() ? "" : ",") + std::to_string(cpus[i]) + (j > i ? "-" + std::to_string(cpus[j]) : "");
    i = j + 1;
  }
  return s;
}

}  // namespace

DoctorReport RunDoctor(const DoctorOptions& o) {
  DoctorReport r;
  SysfsRoot root = SysfsRoot::FromFlagOrEnv(o.sysfs_root);
  if (o.fault_injector) root.SetFaultInjector(o.fault_injector);
  r.sysfs_root = root.root();
  const CpuFeatures& cpu = DetectCpuFeatures();
  r.cpu = DescribeCpuFeatures(cpu);
  r.best_isa = IsaName(BestIsa(cpu));
  for (Isa isa : AvailableIsas(cpu)) r.isas.push_back(IsaName(isa));
  r.system = ReadSystemInfo(root);

  DiscoveryOptions d;
  d.root = root;
  d.tools = o.tools;
  d.device_profile = o.device_profile;
  d.device_dir = o.device_dir;
  d.sources = {"rapl", "hwmon", "jetson", "rpi5-pmic", "nvml"};
  Result<Discovery> found = DiscoverEnergySources(d);
  if (found.ok()) {
    r.findings = std::move(found->findings);
    for (const auto& s : found->sensors) r.energy_sources_readable.push_back(s->name() + " (" + s->coverage() + ")");
  }
  // The estimate is always available as a labelled fallback; name its profile.
  const std::string dir = o.device_dir.empty() ? DeviceProfileDir() : o.device_dir;
  std::string spec = o.device_profile.empty() ? "auto" : o.device_profile;
  if (spec.find('/') == std::string::npos && spec.rfind(':') != std::string::npos) spec = spec.substr(0, spec.rfind(':'));
  Result<DeviceProfile> profile = SelectDeviceProfile(spec, dir, root);
  r.estimate_profile = profile.ok() ? profile->id + " (" + profile->name + ")" : profile.status().ToString();
  r.findings.push_back({"external", "--power-cmd / --power-log", SourceFinding::State::kAbsent,
                        "not configured (doctor does not run meters)",
                        "connect a meter and pass --power-cmd 'CMD' (prints watts per line) or --power-log FILE"});

  bool any_unreadable = false;
  for (const auto& f : r.findings) any_unreadable |= f.state == SourceFinding::State::kUnreadable;
  if (!r.energy_sources_readable.empty()) {
    r.energy_verdict = "measured: energy figures come from " + r.energy_sources_readable.front() +
                       (r.energy_sources_readable.size() > 1 ? " and " + std::to_string(r.energy_sources_readable.size() - 1) + " more source(s)" : "");
  } else if (any_unreadable) {
    r.energy_verdict = "a sensor exists but cannot be read: apply the fix listed for it; until then energy is only the labelled estimate";
  } else {
    r.energy_verdict = std::string(kNoSensorFix);
  }

  std::vector<CounterStatus> counters;
  std::unique_ptr<Sensor> perf = MakePerfCounterSensor(&counters);
  r.counters = counters;

  for (const auto& g : r.system.governors) {
    if (g == "powersave" || g == "ondemand" || g == "conservative" || g == "schedutil") {
      r.advice.push_back("governor '" + g + "' changes the clock with load: for repeatable speed figures use "
                         "sudo cpupower frequency-set -g performance (and report it)");
      break;
    }
  }
  if (r.system.governors.empty()) {
    r.advice.push_back("no cpufreq governor visible (VM or no cpufreq driver): the clock and throttling cannot be observed");
  }
  if (r.system.thermal_zones.empty()) {
    r.advice.push_back("no thermal zones: temperatures and trip points cannot be observed (VM or container)");
  }
  return r;
}

std::string DoctorText(const DoctorReport& r) {
  std::string s;
  auto line = [&](const std::string& l) { s += l + "\n"; };
  line("edgelm doctor" + std::string(r.sysfs_root == "/" ? "" : " (sysfs root " + r.sysfs_root + ")"));
  line("");
  line("Running");
  line("  CPU: " + r.cpu);
  std::string isas;
  for (const auto& i : r.isas) isas += (isas.empty() ? "" : ", ") + i;
  line("  kernel path: " + r.best_isa + " (available: " + isas + ")");
  line("  OS: " + r.system.kernel + (r.system.machine_model.empty() ? "" : "; machine: " + r.system.machine_model));
  line("  cores: " + std::to_string(r.system.cores.size()));
  for (const auto& c : r.system.clusters) line("    cluster " + c.key + ": cpu " + CpuList(c.cpus));
  line("  memory: " + (r.system.mem_total_bytes ? Gib(*r.system.mem_total_bytes) + " total" : std::string("unknown (no /proc/meminfo)")) +
       (r.system.mem_available_bytes ? ", " + Gib(*r.system.mem_available_bytes) + " available" : ""));
  std::string govs;
  for (const auto& g : r.system.governors) govs += (govs.empty() ? "" : ", ") + g;
  line("  governor: " + (govs.empty() ? std::string("none visible (no cpufreq)") : govs));
  line("");
  line("Measuring");
  line("  energy: " + r.energy_verdict);
  for (const auto& f : r.findings) {
    line("  [" + std::string(FindingStateName(f.state)) + "] " + f.source + ": " + f.what);
    if (!f.detail.empty()) line("      " + f.detail);
    if (!f.fix.empty()) line("      fix: " + f.fix);
  }
  line("  estimate (always labelled 'estimated'): profile " + r.estimate_profile);
  line("  thermal zones: " + std::to_string(r.system.thermal_zones.size()));
  for (const auto& z : r.system.thermal_zones) {
    char buf[160];
    if (z.temp_c) {
      std::snprintf(buf, sizeof(buf), "    %s (%s): %.1f C", z.zone.c_str(), z.type.c_str(), *z.temp_c);
    } else {
      std::snprintf(buf, sizeof(buf), "    %s (%s): unreadable: %s", z.zone.c_str(), z.type.c_str(), z.error.c_str());
    }
    std::string l = buf;
    if (z.trip_c) {
      std::snprintf(buf, sizeof(buf), ", trip %.1f C (%s)", *z.trip_c, z.trip_type.c_str());
      l += buf;
    }
    line(l);
  }
  line("  counters:");
  for (const auto& c : r.counters) {
    line("    " + c.name + ": " + (c.supported ? std::string("supported") : "unsupported: " + c.reason));
    if (!c.supported && !c.fix.empty()) line("      fix: " + c.fix);
  }
  if (!r.advice.empty()) {
    line("");
    line("Advice");
    for (const auto& a : r.advice) line("  - " + a);
  }
  return s;
}

std::string DoctorJson(const DoctorReport& r) {
  using nlohmann::json;
  json j;
  j["sysfs_root"] = r.sysfs_root;
  j["cpu"] = r.cpu;
  j["best_isa"] = r.best_isa;
  j["isas"] = r.isas;
  j["kernel"] = r.system.kernel;
  j["machine_model"] = r.system.machine_model;
  json cores = json::array();
  for (const auto& c : r.system.cores) {
    json jc{{"cpu", c.cpu}, {"governor", c.governor}};
    if (c.max_freq_khz) jc["max_freq_khz"] = *c.max_freq_khz;
    if (c.cur_freq_khz) jc["cur_freq_khz"] = *c.cur_freq_khz;
    if (c.capacity) jc["capacity"] = *c.capacity;
    cores.push_back(jc);
  }
  j["cores"] = cores;
  json clusters = json::array();
  for (const auto& c : r.system.clusters) clusters.push_back({{"key", c.key}, {"cpus", c.cpus}});
  j["clusters"] = clusters;
  if (r.system.mem_total_bytes) j["mem_total_bytes"] = *r.system.mem_total_bytes;
  if (r.system.mem_available_bytes) j["mem_available_bytes"] = *r.system.mem_available_bytes;
  j["governors"] = r.system.governors;
  json sensors = json::array();
  for (const auto& f : r.findings) {
    json jf{{"source", f.source}, {"what", f.what}, {"state", FindingStateName(f.state)}, {"detail", f.detail}};
    if (!f.fix.empty()) jf["fix"] = f.fix;
    sensors.push_back(jf);
  }
  j["energy_sources"] = sensors;
  j["energy_readable"] = r.energy_sources_readable;
  j["energy_verdict"] = r.energy_verdict;
  j["estimate_profile"] = r.estimate_profile;
  json zones = json::array();
  for (const auto& z : r.system.thermal_zones) {
    json jz{{"zone", z.zone}, {"type", z.type}};
    if (z.temp_c) jz["temp_c"] = *z.temp_c;
    else jz["error"] = z.error;
    if (z.trip_c) {
      jz["trip_c"] = *z.trip_c;
      jz["trip_type"] = z.trip_type;
    }
    zones.push_back(jz);
  }
  j["thermal_zones"] = zones;
  json counters = json::array();
  for (const auto& c : r.counters) {
    json jc{{"name", c.name}, {"supported", c.supported}};
    if (!c.supported) {
      jc["reason"] = c.reason;
      jc["fix"] = c.fix;
    }
    counters.push_back(jc);
  }
  j["counters"] = counters;
  j["advice"] = r.advice;
  return j.dump(2);
}

}  // namespace edgelm::telemetry
