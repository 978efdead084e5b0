// hwmon power monitors and Jetson rails.
//
// hwmon (Documentation/hwmon/sysfs-interface): energyN_input (uJ, cumulative),
// powerN_input / powerN_average (uW), inN_input (mV) and currN_input (mA). A device
// with energy counters uses them; else power; else voltage x current paired by label
// (currN_label == inM_label) or, without labels, by index (INA3221: in1..3 bus voltage
// with the rail label, curr1..3 current).
//
// Jetson: INA3221 rails named VDD_IN / VDD_CPU_GPU_CV / VDD_SOC (Orin, Xavier) or
// POM_5V_IN / POM_5V_GPU / POM_5V_CPU (Nano, TX2), in the hwmon layout (JetPack 5+) or
// the older iio one (/sys/bus/i2c/drivers/ina3221x/*/iio:device*/in_powerN_input in mW
// with rail_name_N). The board input rail is the total; the others are inside it.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <map>

#include "telemetry/process.h"
#include "telemetry/sources.h"

namespace edgelm::telemetry {
namespace {

constexpr const char* kHwmon = "/sys/class/hwmon";
constexpr const char* kIna3221xIio = "/sys/bus/i2c/drivers/ina3221x";
// Without an update_interval attribute: INA2xx/INA3221 convert every 1-10 ms by default.
constexpr int64_t kDefaultHwmonUpdateNs = 10'000'000;

struct ChannelSpec {
  ChannelInfo info;
  std::string path_a;  // energy/power file, or the voltage file
  std::string path_b;  // the current file for voltage x current; empty otherwise
};

// Energy, power or V x I channels, as one sensor.
class SysfsPowerSensor : public Sensor {
 public:
  SysfsPowerSensor(SysfsRoot root, std::string name, std::string source, std::string coverage,
                   std::vector<ChannelSpec> specs, int64_t min_update_ns)
      : root_(std::move(root)), name_(std::move(name)), source_(std::move(source)),
        coverage_(std::move(coverage)), specs_(std::move(specs)), min_update_ns_(min_update_ns) {
    for (const auto& s : specs_) channels_.push_back(s.info);
  }
  std::string name() const override { return name_; }
  std::string source() const override { return source_; }
  std::string coverage() const override { return coverage_; }
  int64_t min_update_interval_ns() const override { return min_update_ns_; }
  const std::vector<ChannelInfo>& channels() const override { return channels_; }
  Status Open() override {
    files_a_.clear();
    files_b_.clear();
    for (const ChannelSpec& spec : specs_) {
      EDGELM_ASSIGN_OR_RETURN(PolledFile a, root_.OpenPolled(spec.path_a));
      files_a_.push_back(std::move(a));
      PolledFile b;
      if (!spec.path_b.empty()) {
        EDGELM_ASSIGN_OR_RETURN(b, root_.OpenPolled(spec.path_b));
      }
      files_b_.push_back(std::move(b));
    }
    std::vector<Sample> probe;
    return Read(0, &probe);
  }
  Status Read(int64_t now_ns, std::vector<Sample>* out) override {
    Sample s;
    s.t_ns = now_ns;
    for (size_t i = 0; i < specs_.size(); ++i) {
      EDGELM_ASSIGN_OR_RETURN(int64_t a, files_a_[i].ReadInt64());
      if (specs_[i].path_b.empty()) {
        s.values.push_back(double(a));
      } else {
        EDGELM_ASSIGN_OR_RETURN(int64_t b, files_b_[i].ReadInt64());
        s.values.push_back(double(a) * double(b));  // mV x mA = uW
      }
    }
    out->push_back(std::move(s));
    return Status::Ok();
  }

 private:
  SysfsRoot root_;
  std::string name_, source_, coverage_;
  std::vector<ChannelSpec> specs_;
  std::vector<ChannelInfo> channels_;
  std::vector<PolledFile> files_a_, files_b_;
  int64_t min_update_ns_;
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Indices N of files "<prefix>N<suffix>" in a directory listing.
std::vector<int> Indices(const std::vector<std::string>& files, const std::string& prefix,
                         const std::string& suffix) {
  std::vector<int> out;
  for (const auto& f : files) {
    if (f.size() <= prefix.size() + suffix.size() || f.compare(0, prefix.size(), prefix) != 0 ||
        f.compare(f.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    std::string mid = f.substr(prefix.size(), f.size() - prefix.size() - suffix.size());
    if (mid.empty() || !std::all_of(mid.begin(), mid.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) continue;
    out.push_back(std::stoi(mid));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The power channels of one hwmon device (may be empty: a temperature-only device).
std::vector<ChannelSpec> HwmonPowerChannels(const SysfsRoot& root, const std::string& dir) {
  const std::vector<std::string> files = root.List(dir);
  auto label = [&](const std::string& kind, int k) {
    return root.ReadLineOrNull(dir + "/" + kind + std::to_string(k) + "_label");
  };
  std::vector<ChannelSpec> specs;
  const std::vector<int> energy = Indices(files, "energy", "_input");
  if (!energy.empty()) {
    bool has_socket = false;
    for (int k : energy) has_socket |= Lower(label("energy", k).value_or("")).find("socket") != std::string::npos;
    for (int k : energy) {
      ChannelSpec s;
      std::string l = label("energy", k).value_or("energy" + std::to_string(k));
      s.info = {l, Quantity::kEnergyCounter, "uJ", 1e-6, 0.0, true, ""};
      // Per-core counters (amd_energy "Ecore000") are inside the socket counter.
      if (has_socket) s.info.in_total = Lower(l).find("socket") != std::string::npos;
      s.path_a = dir + "/energy" + std::to_string(k) + "_input";
      s.info.origin = root.Resolve(s.path_a);
      specs.push_back(s);
    }
    return specs;
  }
  std::vector<int> power = Indices(files, "power", "_input");
  std::string power_suffix = "_input";
  if (power.empty()) {
    power = Indices(files, "power", "_average");
    power_suffix = "_average";
  }
  if (!power.empty()) {
    for (int k : power) {
      ChannelSpec s;
      std::string l = label("power", k).value_or("power" + std::to_string(k));
      s.info = {l, Quantity::kPower, "uW", 1e-6, 0.0, true, ""};
      s.path_a = dir + "/power" + std::to_string(k) + power_suffix;
      s.info.origin = root.Resolve(s.path_a);
      specs.push_back(s);
    }
    return specs;
  }
  const std::vector<int> curr = Indices(files, "curr", "_input");
  const std::vector<int> volt = Indices(files, "in", "_input");
  for (int k : curr) {
    std::optional<std::string> cl = label("curr", k);
    int vi = -1;
    std::string rail;
    if (cl) {
      for (int j : volt) {
        if (label("in", j) == cl) {
          vi = j;
          break;
        }
      }
      rail = *cl;
    } else if (std::find(volt.begin(), volt.end(), k) != volt.end()) {
      vi = k;
      rail = label("in", k).value_or("channel" + std::to_string(k));
    }
    if (vi < 0 || rail == "NC") continue;  // INA3221 marks unconnected inputs "NC"
    ChannelSpec s;
    s.info = {rail, Quantity::kPower, "uW (mV x mA)", 1e-6, 0.0, true, ""};
    s.path_a = dir + "/in" + std::to_string(vi) + "_input";
    s.path_b = dir + "/curr" + std::to_string(k) + "_input";
    s.info.origin = root.Resolve(s.path_a) + " x " + root.Resolve(s.path_b);
    specs.push_back(s);
  }
  return specs;
}

int64_t UpdateIntervalNs(const SysfsRoot& root, const std::string& dir) {
  Result<int64_t> ms = root.ReadInt64(dir + "/update_interval");
  if (ms.ok() && *ms > 0 && *ms < 60'000) return *ms * 1'000'000;
  return kDefaultHwmonUpdateNs;
}

bool IsJetsonDevice(const std::vector<ChannelSpec>& specs) {
  for (const auto& s : specs) {
    if (IsJetsonRailLabel(s.info.name)) return true;
  }
  return false;
}

std::string ReadFailureFix(const Status& s, const std::string& what) {
  if (s.code() == StatusCode::kPermissionDenied) {
    return "make " + what + " readable: sudo chmod o+r <file>, or permanently a udev rule "
           "/etc/udev/rules.d/99-edgelm-hwmon.rules: ACTION==\"add\", SUBSYSTEM==\"hwmon\", "
           "RUN+=\"/bin/sh -c 'chmod o+r /sys%p/*_input'\"";
  }
  return "the driver returned an error reading " + what + ": check dmesg";
}

}  // namespace

bool IsJetsonRailLabel(const std::string& label) {
  return label.rfind("VDD_", 0) == 0 || label.rfind("POM_", 0) == 0 || label.rfind("VIN_", 0) == 0;
}

bool IsBoardInputRail(const std::string& label) {
  if (label == "VDD_IN" || label.rfind("VIN", 0) == 0) return true;
  return label.rfind("POM_", 0) == 0 && label.size() > 3 && label.substr(label.size() - 3) == "_IN";
}

void DiscoverHwmon(const SysfsRoot& root, Discovery* out) {
  bool any = false;
  for (const std::string& entry : root.List(kHwmon, "hwmon")) {
    const std::string dir = std::string(kHwmon) + "/" + entry;
    const std::string dev = root.ReadLineOrNull(dir + "/name").value_or("unnamed");
    std::vector<ChannelSpec> specs = HwmonPowerChannels(root, dir);
    if (specs.empty() || IsJetsonDevice(specs)) continue;
    any = true;
    SourceFinding f{"hwmon", dir + " (" + dev + ")", SourceFinding::State::kReadable, "", ""};
    std::string names;
    for (const auto& s : specs) names += (names.empty() ? "" : ", ") + s.info.name;
    std::string kind = specs[0].info.quantity == Quantity::kEnergyCounter ? "energy counters"
                       : specs[0].path_b.empty()                         ? "power"
                                                                          : "voltage x current";
    auto sensor = std::make_unique<SysfsPowerSensor>(
        root, "hwmon:" + dev + "@" + entry, "hwmon",
        "sum of " + std::to_string(specs.size()) + " " + kind + " channel(s) of " + dev + " (" + names +
            "); what they cover depends on where the monitor sits",
        specs, UpdateIntervalNs(root, dir));
    Status s = sensor->Open();
    if (!s.ok()) {
      f.state = SourceFinding::State::kUnreadable;
      f.detail = s.ToString();
      f.fix = ReadFailureFix(s, dir + "/*_input");
    } else {
      f.detail = kind + ": " + names;
      out->sensors.push_back(std::move(sensor));
    }
    out->findings.push_back(f);
  }
  if (!any) {
    out->findings.push_back({"hwmon", std::string(kHwmon) + "/hwmon*", SourceFinding::State::kAbsent,
                             "no hwmon device with power, energy or voltage x current channels",
                             "if the board has an INA219/INA226/INA3221 monitor, load its driver "
                             "(sudo modprobe ina2xx or ina3221) and declare it in the device tree"});
  }
}

std::vector<RailReading> ParseTegrastatsLine(const std::string& line) {
  std::vector<RailReading> rails;
  std::vector<std::string> tok;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    size_t j = i;
    while (j < line.size() && !std::isspace(static_cast<unsigned char>(line[j]))) ++j;
    if (j > i) tok.push_back(line.substr(i, j - i));
    i = j;
  }
  auto is_name = [](const std::string& t) {
    if (t.size() < 3 || !std::isupper(static_cast<unsigned char>(t[0]))) return false;
    return std::all_of(t.begin(), t.end(), [](char c) {
      return std::isupper(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_';
    });
  };
  // "<digits>[mW]/<digits>[mW]": current/average. Other pairs (RAM 2448/7620MB,
  // IRAM 0/252kB) carry other units and are not rails.
  auto parse_value = [](const std::string& t) -> std::optional<double> {
    size_t slash = t.find('/');
    if (slash == std::string::npos || slash == 0) return std::nullopt;
    auto num = [](std::string s) -> std::optional<double> {
      if (s.size() > 2 && s.substr(s.size() - 2) == "mW") s.resize(s.size() - 2);
      if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) return std::nullopt;
      return std::stod(s);
    };
    auto cur = num(t.substr(0, slash));
    auto avg = num(t.substr(slash + 1));
    if (!cur || !avg) return std::nullopt;
    return cur;
  };
  for (size_t k = 0; k + 1 < tok.size(); ++k) {
    if (!is_name(tok[k])) continue;
    if (auto v = parse_value(tok[k + 1])) {
      rails.push_back({tok[k], *v});
      ++k;
    }
  }
  return rails;
}

namespace {

// tegrastats --interval N, one line per interval; rails learnt from the first line.
class TegrastatsSensor : public Sensor {
 public:
  TegrastatsSensor(std::string program, int interval_ms) : program_(std::move(program)), interval_ms_(interval_ms) {}
  std::string name() const override { return "jetson:tegrastats"; }
  std::string source() const override { return "jetson"; }
  std::string coverage() const override { return coverage_; }
  int64_t min_update_interval_ns() const override { return int64_t(interval_ms_) * 1'000'000; }
  const std::vector<ChannelInfo>& channels() const override { return channels_; }
  int stream_fd() const override { return stream_.fd(); }
  bool self_timed() const override { return true; }

  Status Open() override {
    EDGELM_RETURN_IF_ERROR(stream_.Start({program_, "--interval", std::to_string(interval_ms_)}));
    EDGELM_ASSIGN_OR_RETURN(std::string first, stream_.WaitLine(3000 + 2 * interval_ms_));
    std::vector<RailReading> rails = ParseTegrastatsLine(first);
    if (rails.empty()) {
      stream_.Terminate();
      return UnsupportedError("tegrastats printed no power rails (first line: '" + first.substr(0, 120) +
                              "'): this board has no INA3221 rail monitor, or tegrastats needs root");
    }
    bool has_input = false;
    for (const auto& r : rails) has_input |= IsBoardInputRail(r.rail);
    for (const auto& r : rails) {
      ChannelInfo c{r.rail, Quantity::kPower, "mW", 1e-3, 0.0, IsBoardInputRail(r.rail),
                    program_ + " --interval " + std::to_string(interval_ms_)};
      channels_.push_back(c);
      names_.push_back(r.rail);
    }
    coverage_ = has_input ? "board input rail (from tegrastats); other rails are inside it"
                          : "no board-input rail in tegrastats: rails reported individually, no total";
    return Status::Ok();
  }
  Status Stop() override {
    stream_.Terminate();
    return Status::Ok();
  }
  Status Read(int64_t now_ns, std::vector<Sample>* out) override {
    std::vector<std::string> lines;
    bool eof = false;
    EDGELM_RETURN_IF_ERROR(stream_.ReadLines(&lines, &eof));
    for (const auto& line : lines) {
      std::vector<RailReading> rails = ParseTegrastatsLine(line);
      Sample s;
      s.t_ns = now_ns;
      for (const auto& n : names_) {
        auto it = std::find_if(rails.begin(), rails.end(), [&](const RailReading& r) { return r.rail == n; });
        if (it == rails.end()) return CorruptError("tegrastats line lacks rail " + n + ": '" + line.substr(0, 120) + "'");
        s.values.push_back(it->value);
      }
      out->push_back(std::move(s));
    }
    if (eof) {
      stream_.Terminate();
      return IoError("tegrastats exited");
    }
    return Status::Ok();
  }

 private:
  std::string program_;
  int interval_ms_;
  LineStream stream_;
  std::vector<ChannelInfo> channels_;
  std::vector<std::string> names_;
  std::string coverage_;
};

}  // namespace

void DiscoverJetson(const SysfsRoot& root, const ToolPaths& tools, Discovery* out) {
  std::vector<ChannelSpec> rails;
  std::string where;
  int64_t update_ns = kDefaultHwmonUpdateNs;
  for (const std::string& entry : root.List(kHwmon, "hwmon")) {
    const std::string dir = std::string(kHwmon) + "/" + entry;
    std::vector<ChannelSpec> specs = HwmonPowerChannels(root, dir);
    if (specs.empty() || !IsJetsonDevice(specs)) continue;
    update_ns = std::max(update_ns, UpdateIntervalNs(root, dir));
    where += (where.empty() ? "" : ", ") + dir;
    rails.insert(rails.end(), specs.begin(), specs.end());
  }
  // The older iio layout (JetPack 4): in_powerN_input in mW, rail_name_N.
  for (const std::string& dev : root.List(kIna3221xIio)) {
    const std::string dev_dir = std::string(kIna3221xIio) + "/" + dev;
    for (const std::string& iio : root.List(dev_dir, "iio:device")) {
      const std::string dir = dev_dir + "/" + iio;
      for (int k : Indices(root.List(dir), "in_power", "_input")) {
        std::string rail = root.ReadLineOrNull(dir + "/rail_name_" + std::to_string(k)).value_or("rail" + std::to_string(k));
        ChannelSpec s;
        s.info = {rail, Quantity::kPower, "mW", 1e-3, 0.0, true, ""};
        s.path_a = dir + "/in_power" + std::to_string(k) + "_input";
        s.info.origin = root.Resolve(s.path_a);
        rails.push_back(s);
      }
      where += (where.empty() ? "" : ", ") + dir;
    }
  }
  if (!rails.empty()) {
    bool has_input = false;
    for (auto& r : rails) has_input |= IsBoardInputRail(r.info.name);
    std::string names;
    for (auto& r : rails) {
      r.info.in_total = IsBoardInputRail(r.info.name);
      names += (names.empty() ? "" : ", ") + r.info.name;
    }
    const std::string coverage =
        has_input ? "board input rail (VDD_IN: module + carrier at the board input); other rails are inside it"
                  : "no board-input rail found: rails reported individually, no total";
    auto sensor = std::make_unique<SysfsPowerSensor>(root, "jetson:ina3221", "jetson", coverage, rails, update_ns);
    Status s = sensor->Open();
    SourceFinding f{"jetson", where, SourceFinding::State::kReadable, "rails: " + names, ""};
    if (!s.ok()) {
      f.state = SourceFinding::State::kUnreadable;
      f.detail = s.ToString();
      f.fix = ReadFailureFix(s, "the INA3221 rail files");
    } else {
      out->sensors.push_back(std::move(sensor));
    }
    out->findings.push_back(f);
    return;
  }
  // No rails in sysfs: tegrastats, when installed (it reads the same monitor with root).
  const std::string program = tools.ResolvedTegrastats();
  if (!ProgramExists(program)) {
    out->findings.push_back({"jetson", "INA3221 rails", SourceFinding::State::kAbsent,
                             "no Jetson INA3221 rails in sysfs and no '" + program + "'",
                             "not a Jetson (or the ina3221 driver is not loaded)"});
    return;
  }
  auto sensor = std::make_unique<TegrastatsSensor>(program, 100);
  Status s = sensor->Open();
  if (!s.ok()) {
    out->findings.push_back({"jetson", program, SourceFinding::State::kUnreadable, s.ToString(),
                             "run as root (tegrastats reads the rail monitor with privileges) or check that "
                             "the ina3221 driver is loaded"});
    return;
  }
  out->findings.push_back({"jetson", program, SourceFinding::State::kReadable, "rails from tegrastats output", ""});
  out->sensors.push_back(std::move(sensor));
}

}  // namespace edgelm::telemetry
