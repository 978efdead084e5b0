#include "telemetry/system_info.h"

#include <sys/utsname.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <sstream>

namespace edgelm::telemetry {
namespace {

constexpr const char* kCpuDir = "/sys/devices/system/cpu";
constexpr const char* kThermal = "/sys/class/thermal";

std::optional<int> CpuIndex(const std::string& name) {
  if (name.size() < 4 || name.compare(0, 3, "cpu") != 0) return std::nullopt;
  std::optional<int64_t> v = ParseInt64(name.substr(3));
  if (!v || *v < 0 || *v > 65535 || !std::isdigit(static_cast<unsigned char>(name[3]))) return std::nullopt;
  return static_cast<int>(*v);
}

std::optional<int64_t> ReadOpt(const SysfsRoot& root, const std::string& path) {
  Result<int64_t> r = root.ReadInt64(path);
  if (!r.ok()) return std::nullopt;
  return *r;
}

class LevelSensor : public Sensor {
 public:
  LevelSensor(SysfsRoot root, std::string name, std::string coverage, std::vector<ChannelInfo> channels,
              std::vector<std::string> paths, int64_t min_ns)
      : root_(std::move(root)), name_(std::move(name)), coverage_(std::move(coverage)),
        channels_(std::move(channels)), paths_(std::move(paths)), min_ns_(min_ns) {}
  std::string name() const override { return name_; }
  std::string source() const override { return name_; }
  std::string coverage() const override { return coverage_; }
  int64_t min_update_interval_ns() const override { return min_ns_; }
  const std::vector<ChannelInfo>& channels() const override { return channels_; }
  Status Open() override {
    files_.clear();
    for (const auto& p : paths_) {
      EDGELM_ASSIGN_OR_RETURN(PolledFile f, root_.OpenPolled(p));
      files_.push_back(std::move(f));
    }
    std::vector<Sample> probe;
    return Read(0, &probe);
  }
  Status Read(int64_t now_ns, std::vector<Sample>* out) override {
    Sample s;
    s.t_ns = now_ns;
    for (const PolledFile& f : files_) {
      EDGELM_ASSIGN_OR_RETURN(int64_t v, f.ReadInt64());
      s.values.push_back(double(v));
    }
    out->push_back(std::move(s));
    return Status::Ok();
  }

 private:
  SysfsRoot root_;
  std::string name_, coverage_;
  std::vector<ChannelInfo> channels_;
  std::vector<std::string> paths_;
  std::vector<PolledFile> files_;
  int64_t min_ns_;
};

}  // namespace

std::vector<CoreInfo> ReadCores(const SysfsRoot& root) {
  std::vector<CoreInfo> cores;
  for (const std::string& entry : root.List(kCpuDir, "cpu")) {
    std::optional<int> idx = CpuIndex(entry);
    if (!idx) continue;
    const std::string dir = std::string(kCpuDir) + "/" + entry;
    CoreInfo c;
    c.cpu = *idx;
    c.max_freq_khz = ReadOpt(root, dir + "/cpufreq/cpuinfo_max_freq");
    c.cur_freq_khz = ReadOpt(root, dir + "/cpufreq/scaling_cur_freq");
    c.scaling_max_khz = ReadOpt(root, dir + "/cpufreq/scaling_max_freq");
    c.capacity = ReadOpt(root, dir + "/cpu_capacity");
    c.governor = root.ReadLineOrNull(dir + "/cpufreq/scaling_governor").value_or("");
    cores.push_back(c);
  }
  return cores;
}

std::vector<CoreCluster> ClusterCores(const std::vector<CoreInfo>& cores) {
  // cpu_capacity is what the scheduler uses for big.LITTLE; without it, cores of one
  // cluster share cpuinfo_max_freq.
  std::map<int64_t, std::vector<int>, std::greater<int64_t>> by;
  bool use_capacity = false;
  std::set<int64_t> caps;
  for (const auto& c : cores) {
    if (c.capacity) caps.insert(*c.capacity);
  }
  use_capacity = caps.size() > 1;
  for (const auto& c : cores) {
    int64_t key = use_capacity ? c.capacity.value_or(0) : c.max_freq_khz.value_or(0);
    by[key].push_back(c.cpu);
  }
  std::vector<CoreCluster> out;
  for (auto& [key, cpus] : by) {
    CoreCluster cl;
    if (use_capacity) cl.key = "capacity " + std::to_string(key);
    else if (key > 0) cl.key = "max " + std::to_string(key / 1000) + " MHz";
    else cl.key = "no cpufreq";
    cl.cpus = cpus;
    out.push_back(cl);
  }
  return out;
}

std::vector<ThermalZoneInfo> ReadThermalZones(const SysfsRoot& root) {
  std::vector<ThermalZoneInfo> zones;
  for (const std::string& entry : root.List(kThermal, "thermal_zone")) {
    const std::string dir = std::string(kThermal) + "/" + entry;
    ThermalZoneInfo z;
    z.zone = entry;
    z.type = root.ReadLineOrNull(dir + "/type").value_or("");
    Result<int64_t> t = root.ReadInt64(dir + "/temp");
    if (t.ok()) z.temp_c = double(*t) / 1000.0;
    else z.error = t.status().ToString();
    for (const std::string& f : root.List(dir, "trip_point_")) {
      if (f.size() < 6 || f.substr(f.size() - 5) != "_type") continue;
      const std::string base = f.substr(0, f.size() - 5);
      std::string type = root.ReadLineOrNull(dir + "/" + f).value_or("");
      if (type != "passive" && type != "hot" && type != "critical") continue;
      std::optional<int64_t> temp = ReadOpt(root, dir + "/" + base + "_temp");
      if (!temp || *temp <= 0) continue;
      double c = double(*temp) / 1000.0;
      if (!z.trip_c || c < *z.trip_c) {
        z.trip_c = c;
        z.trip_type = type;
      }
    }
    zones.push_back(z);
  }
  return zones;
}

SystemInfo ReadSystemInfo(const SysfsRoot& root) {
  SystemInfo info;
  info.cores = ReadCores(root);
  info.clusters = ClusterCores(info.cores);
  std::set<std::string> govs;
  for (const auto& c : info.cores) {
    if (!c.governor.empty()) govs.insert(c.governor);
  }
  info.governors.assign(govs.begin(), govs.end());
  if (auto text = root.ReadText("/proc/meminfo"); text.ok()) {
    for (const std::string& line : SplitLines(*text)) {
      std::istringstream in(line);
      std::string key;
      int64_t kb = 0;
      if (!(in >> key >> kb)) continue;
      if (key == "MemTotal:") info.mem_total_bytes = kb * 1024;
      if (key == "MemAvailable:") info.mem_available_bytes = kb * 1024;
    }
  }
  info.thermal_zones = ReadThermalZones(root);
  utsname u;
  if (uname(&u) == 0) info.kernel = std::string(u.sysname) + " " + u.release + " " + u.machine;
  if (auto text = root.ReadText("/proc/device-tree/model"); text.ok()) {
    std::string s = *text;
    while (!s.empty() && (s.back() == '\0' || s.back() == '\n')) s.pop_back();
    info.machine_model = s;
  } else if (auto dmi = root.ReadLineOrNull("/sys/class/dmi/id/product_name")) {
    info.machine_model = *dmi;
  }
  return info;
}

std::unique_ptr<Sensor> MakeThermalSensor(const SysfsRoot& root, std::string* reason) {
  std::vector<ChannelInfo> ch;
  std::vector<std::string> paths;
  for (const ThermalZoneInfo& z : ReadThermalZones(root)) {
    if (!z.temp_c) continue;
    const std::string path = std::string(kThermal) + "/" + z.zone + "/temp";
    ch.push_back({z.zone + (z.type.empty() ? "" : " (" + z.type + ")"), Quantity::kTemperature, "mC", 1e-3, 0.0, false,
                  root.Resolve(path)});
    paths.push_back(path);
  }
  if (ch.empty()) {
    *reason = "no readable thermal zone under " + root.Resolve(kThermal) + " (a VM or container without thermal drivers)";
    return nullptr;
  }
  // Thermal drivers poll their sensors every 100 ms-1 s; ACPI zones can take a few ms
  // per read, so 100 ms is the fastest we read them.
  auto s = std::make_unique<LevelSensor>(root, "thermal", "thermal zone temperatures", ch, paths, 100'000'000);
  Status st = s->Open();
  if (!st.ok()) {
    *reason = st.ToString();
    return nullptr;
  }
  return s;
}

std::unique_ptr<Sensor> MakeCpuFreqSensor(const SysfsRoot& root, std::string* reason) {
  std::vector<ChannelInfo> ch;
  std::vector<std::string> paths;
  for (const CoreInfo& c : ReadCores(root)) {
    if (!c.cur_freq_khz) continue;
    const std::string path = std::string(kCpuDir) + "/cpu" + std::to_string(c.cpu) + "/cpufreq/scaling_cur_freq";
    ch.push_back({"cpu" + std::to_string(c.cpu), Quantity::kFrequency, "kHz", 1e3, 0.0, false, root.Resolve(path)});
    paths.push_back(path);
  }
  if (ch.empty()) {
    *reason = "no cpufreq under " + root.Resolve(kCpuDir) + "/cpu*/cpufreq (a VM, or the cpufreq driver is not loaded)";
    return nullptr;
  }
  // scaling_cur_freq is recomputed on read from the APERF/MPERF ratio or the driver's
  // last request; 50 ms is well below any throttling time scale.
  auto s = std::make_unique<LevelSensor>(root, "cpufreq", "current core frequencies", ch, paths, 50'000'000);
  Status st = s->Open();
  if (!st.ok()) {
    *reason = st.ToString();
    return nullptr;
  }
  return s;
}

}  // namespace edgelm::telemetry
