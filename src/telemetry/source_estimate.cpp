// The labelled estimate: power = idle + (max - idle) x CPU utilisation, with idle/max
// from a device profile and utilisation from /proc/stat. It is a model, not a
// measurement, and every output that carries it says "estimated" and names the profile.
#include <algorithm>
#include <cstdio>
#include <sstream>

#include "telemetry/sources.h"

namespace edgelm::telemetry {
namespace {

struct CpuTimes {
  uint64_t busy = 0, total = 0;
};

Result<CpuTimes> ReadProcStat(const SysfsRoot& root) {
  EDGELM_ASSIGN_OR_RETURN(std::string line, root.ReadLine("/proc/stat"));
  std::istringstream in(line);
  std::string label;
  in >> label;
  if (label != "cpu") {
    return CorruptError("'" + root.Resolve("/proc/stat") + "' starts with '" + line.substr(0, 40) + "', expected the 'cpu' line");
  }
  // user nice system idle iowait irq softirq steal (guest time is inside user).
  uint64_t f[8] = {0};
  int n = 0;
  while (n < 8 && in >> f[n]) ++n;
  if (n < 4) return CorruptError("'" + root.Resolve("/proc/stat") + "' cpu line has " + std::to_string(n) + " fields, expected >= 4");
  CpuTimes t;
  t.busy = f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
  t.total = t.busy + f[3] + f[4];
  return t;
}

class EstimateSensor : public Sensor {
 public:
  EstimateSensor(SysfsRoot root, DeviceProfile profile, std::string mode, PowerModel model)
      : root_(std::move(root)), profile_(std::move(profile)), mode_(std::move(mode)), model_(model) {
    char buf[160];
    std::snprintf(buf, sizeof(buf), "%.2f W idle + (%.2f - %.2f) W x CPU utilisation", model_.idle_watts,
                  model_.max_watts, model_.idle_watts);
    channels_.push_back({"estimated", Quantity::kPower, "W", 1.0, 0.0, true,
                         std::string(buf) + " from " + root_.Resolve("/proc/stat") + "; profile " + profile_.path});
  }
  std::string name() const override { return "estimate"; }
  std::string source() const override { return "estimate"; }
  bool estimated() const override { return true; }
  std::string coverage() const override {
    return "ESTIMATED, not measured: device profile '" + profile_.id + "'" + (mode_.empty() ? "" : " mode " + mode_) +
           " scaled by CPU utilisation; basis: " + profile_.power_basis;
  }
  // /proc/stat advances in 10 ms ticks (USER_HZ 100); 100 ms gives 10 ticks per CPU.
  int64_t min_update_interval_ns() const override { return 100'000'000; }
  const std::vector<ChannelInfo>& channels() const override { return channels_; }
  Status Open() override {
    EDGELM_ASSIGN_OR_RETURN(prev_, ReadProcStat(root_));
    return Status::Ok();
  }
  Status Start() override {
    EDGELM_ASSIGN_OR_RETURN(prev_, ReadProcStat(root_));
    return Status::Ok();
  }
  Status Read(int64_t now_ns, std::vector<Sample>* out) override {
    EDGELM_ASSIGN_OR_RETURN(CpuTimes cur, ReadProcStat(root_));
    double util = utilisation_;
    if (cur.total > prev_.total && cur.busy >= prev_.busy) {
      util = double(cur.busy - prev_.busy) / double(cur.total - prev_.total);
      util = std::min(1.0, std::max(0.0, util));
      utilisation_ = util;
    }
    prev_ = cur;
    out->push_back({now_ns, {model_.idle_watts + (model_.max_watts - model_.idle_watts) * util}});
    return Status::Ok();
  }

 private:
  SysfsRoot root_;
  DeviceProfile profile_;
  std::string mode_;
  PowerModel model_;
  CpuTimes prev_;
  double utilisation_ = 0;  // the last value, reused when no tick passed
  std::vector<ChannelInfo> channels_;
};

}  // namespace

void AddEstimate(const SysfsRoot& root, const DeviceProfile& profile, const std::string& mode, Discovery* out) {
  Result<PowerModel> model = ProfilePowerModel(profile, mode.empty() ? profile.default_mode : mode);
  if (!model.ok()) {
    out->findings.push_back({"estimate", profile.id, SourceFinding::State::kUnreadable, model.status().ToString(),
                             "pick a mode the profile lists (--device-profile ID:MODE)"});
    return;
  }
  auto s = std::make_unique<EstimateSensor>(root, profile, mode.empty() ? profile.default_mode : mode, *model);
  Status st = s->Open();
  if (!st.ok()) {
    out->findings.push_back({"estimate", profile.id, SourceFinding::State::kUnreadable, st.ToString(),
                             "the estimate needs /proc/stat (is /proc mounted under the --sysfs-root?)"});
    return;
  }
  out->findings.push_back({"estimate", profile.id, SourceFinding::State::kReadable,
                           "ESTIMATED from profile '" + profile.id + "' (" + profile.name + ")", ""});
  out->sensors.push_back(std::move(s));
}

}  // namespace edgelm::telemetry
