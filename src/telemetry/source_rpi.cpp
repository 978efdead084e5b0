// Raspberry Pi 5: the PMIC's ADC through `vcgencmd pmic_read_adc` (current and voltage
// per rail, e.g. "VDD_CORE_A current(7)=2.45610000A" and "VDD_CORE_V volt(15)=0.80000000V"),
// and the firmware's throttling flags through `vcgencmd get_throttled`.
//
// The PMIC rails are the SoC/core/memory/IO supplies after the regulators: their sum is
// not wall power (it excludes the regulators' losses, USB devices and the fan), and is
// labelled so.
#include <algorithm>
#include <cctype>
#include <map>

#include "core/clock.h"
#include "telemetry/process.h"
#include "telemetry/sources.h"

namespace edgelm::telemetry {
namespace {

// Spawning vcgencmd costs ~1-3 ms of CPU, so reading it every 250 ms keeps the
// sampler's overhead near 1% of a core; the PMIC ADC itself updates faster.
constexpr int64_t kPmicMinIntervalNs = 250'000'000;
constexpr int kVcgencmdTimeoutMs = 2000;

class RpiPmicSensor : public Sensor {
 public:
  RpiPmicSensor(std::string vcgencmd, std::vector<std::string> rails)
      : vcgencmd_(std::move(vcgencmd)), rails_(std::move(rails)) {
    for (const auto& r : rails_) {
      channels_.push_back({r, Quantity::kPower, "W", 1.0, 0.0, true, vcgencmd_ + " pmic_read_adc (" + r + "_A x " + r + "_V)"});
    }
  }
  std::string name() const override { return "rpi5-pmic"; }
  std::string source() const override { return "rpi5-pmic"; }
  std::string coverage() const override {
    return "sum of " + std::to_string(rails_.size()) +
           " PMIC rails (current x voltage after the regulators): not wall power; excludes "
           "regulator losses, USB devices and the fan";
  }
  int64_t min_update_interval_ns() const override { return kPmicMinIntervalNs; }
  const std::vector<ChannelInfo>& channels() const override { return channels_; }
  Status Open() override { return Status::Ok(); }
  Status Read(int64_t now_ns, std::vector<Sample>* out) override {
    const int64_t t_start = MonotonicNs();
    EDGELM_ASSIGN_OR_RETURN(std::string text, RunAndCapture({vcgencmd_, "pmic_read_adc"}, kVcgencmdTimeoutMs));
    const int64_t t_end = MonotonicNs();
    std::vector<std::string> unpaired;
    EDGELM_ASSIGN_OR_RETURN(std::vector<RailReading> readings, ParsePmicReadAdc(text, &unpaired));
    Sample s;
    // The ADC is read somewhere during the command; its midpoint is the best estimate.
    (void)now_ns;
    s.t_ns = t_start + (t_end - t_start) / 2;
    for (const auto& r : rails_) {
      auto it = std::find_if(readings.begin(), readings.end(), [&](const RailReading& x) { return x.rail == r; });
      if (it == readings.end()) return CorruptError("pmic_read_adc output lacks rail " + r);
      s.values.push_back(it->value);
    }
    out->push_back(std::move(s));
    return Status::Ok();
  }

 private:
  std::string vcgencmd_;
  std::vector<std::string> rails_;
  std::vector<ChannelInfo> channels_;
};

}  // namespace

Result<std::vector<RailReading>> ParsePmicReadAdc(const std::string& text, std::vector<std::string>* unpaired) {
  std::map<std::string, double> amps, volts;
  std::vector<std::string> order;
  for (const std::string& raw : SplitLines(text)) {
    std::string line = Trim(raw);
    if (line.empty()) continue;
    size_t sp = line.find(' ');
    size_t eq = line.find('=');
    size_t paren = line.find('(');
    if (sp == std::string::npos || eq == std::string::npos || paren == std::string::npos || paren > eq) continue;
    std::string name = line.substr(0, sp);
    std::string kind = Trim(line.substr(sp + 1, paren - sp - 1));
    std::string value = Trim(line.substr(eq + 1));
    if (!value.empty() && (value.back() == 'A' || value.back() == 'V')) value.pop_back();
    std::optional<double> v = ParseDouble(value);
    if (!v) {
      return CorruptError("pmic_read_adc line '" + line.substr(0, 80) + "': expected NAME kind(N)=VALUE[A|V]");
    }
    if (name.size() < 3 || name[name.size() - 2] != '_') continue;
    std::string rail = name.substr(0, name.size() - 2);
    if (std::find(order.begin(), order.end(), rail) == order.end()) order.push_back(rail);
    if (kind == "current") amps[rail] = *v;
    else if (kind == "volt") volts[rail] = *v;
  }
  std::vector<RailReading> out;
  for (const auto& rail : order) {
    auto a = amps.find(rail);
    auto v = volts.find(rail);
    if (a != amps.end() && v != volts.end()) {
      out.push_back({rail, a->second * v->second});
    } else if (unpaired != nullptr) {
      unpaired->push_back(rail);
    }
  }
  if (out.empty()) {
    return UnsupportedError("pmic_read_adc printed no rail with both current and voltage (" +
                            std::to_string(order.size()) + " names seen): not a Raspberry Pi 5 firmware?");
  }
  return out;
}

Result<ThrottledBits> ParseGetThrottled(const std::string& text) {
  std::string t = Trim(text);
  size_t eq = t.find('=');
  std::string hex = eq == std::string::npos ? t : Trim(t.substr(eq + 1));
  size_t nl = hex.find('\n');
  if (nl != std::string::npos) hex = Trim(hex.substr(0, nl));
  if (hex.size() < 3 || hex.size() > 10 || hex[0] != '0' || (hex[1] != 'x' && hex[1] != 'X') ||
      !std::all_of(hex.begin() + 2, hex.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); })) {
    return CorruptError("get_throttled printed '" + t.substr(0, 60) + "', expected 'throttled=0x<hex>'");
  }
  ThrottledBits b;
  b.raw = static_cast<uint32_t>(std::stoul(hex.substr(2), nullptr, 16));
  // Bits as documented for vcgencmd get_throttled.
  b.under_voltage = b.raw & (1u << 0);
  b.freq_capped = b.raw & (1u << 1);
  b.throttled = b.raw & (1u << 2);
  b.soft_temp_limit = b.raw & (1u << 3);
  b.under_voltage_occurred = b.raw & (1u << 16);
  b.freq_capped_occurred = b.raw & (1u << 17);
  b.throttled_occurred = b.raw & (1u << 18);
  b.soft_temp_limit_occurred = b.raw & (1u << 19);
  return b;
}

std::string ThrottledBits::Describe() const {
  std::string s;
  auto add = [&](bool on, const char* what) {
    if (on) s += (s.empty() ? "" : "; ") + std::string(what);
  };
  add(under_voltage, "under-voltage now");
  add(freq_capped, "ARM frequency capped now");
  add(throttled, "throttled now");
  add(soft_temp_limit, "soft temperature limit active now");
  add(under_voltage_occurred, "under-voltage has occurred since boot");
  add(freq_capped_occurred, "frequency capping has occurred since boot");
  add(throttled_occurred, "throttling has occurred since boot");
  add(soft_temp_limit_occurred, "soft temperature limit has occurred since boot");
  return s.empty() ? "none" : s;
}

Result<ThrottledBits> ReadRpiThrottled(const ToolPaths& tools) {
  EDGELM_ASSIGN_OR_RETURN(std::string text, RunAndCapture({tools.ResolvedVcgencmd(), "get_throttled"}, kVcgencmdTimeoutMs));
  return ParseGetThrottled(text);
}

void DiscoverRpi5Pmic(const SysfsRoot& root, const ToolPaths& tools, Discovery* out) {
  (void)root;
  const std::string program = tools.ResolvedVcgencmd();
  if (!ProgramExists(program)) {
    out->findings.push_back({"rpi5-pmic", program, SourceFinding::State::kAbsent,
                             "no '" + program + "' (not a Raspberry Pi, or the firmware tools are not installed)",
                             "on a Raspberry Pi 5: sudo apt install libraspberrypi-bin (or raspi-utils)"});
    return;
  }
  Result<std::string> text = RunAndCapture({program, "pmic_read_adc"}, kVcgencmdTimeoutMs);
  if (!text.ok()) {
    out->findings.push_back({"rpi5-pmic", program + " pmic_read_adc", SourceFinding::State::kUnreadable,
                             text.status().ToString(),
                             "vcgencmd needs /dev/vcio: sudo usermod -aG video $USER and log in again; "
                             "pmic_read_adc exists only on the Raspberry Pi 5 firmware"});
    return;
  }
  std::vector<std::string> unpaired;
  Result<std::vector<RailReading>> rails = ParsePmicReadAdc(*text, &unpaired);
  if (!rails.ok()) {
    out->findings.push_back({"rpi5-pmic", program + " pmic_read_adc", SourceFinding::State::kUnreadable,
                             rails.status().ToString(), "update the Raspberry Pi firmware (sudo rpi-update or apt upgrade)"});
    return;
  }
  std::vector<std::string> names;
  std::string list;
  double total = 0;
  for (const auto& r : *rails) {
    names.push_back(r.rail);
    list += (list.empty() ? "" : ", ") + r.rail;
    total += r.value;
  }
  std::string detail = std::to_string(names.size()) + " rails (" + list + "), now " + std::to_string(total) + " W";
  if (!unpaired.empty()) {
    std::string u;
    for (const auto& x : unpaired) u += (u.empty() ? "" : ", ") + x;
    detail += "; without a current/voltage pair (not counted): " + u;
  }
  out->findings.push_back({"rpi5-pmic", program + " pmic_read_adc", SourceFinding::State::kReadable, detail, ""});
  out->sensors.push_back(std::make_unique<RpiPmicSensor>(program, names));
}

}  // namespace edgelm::telemetry
