#include "telemetry/discovery.h"

#include <algorithm>
#include <cstdlib>

namespace edgelm::telemetry {
namespace {

std::string FromEnv(const std::string& value, const char* env, const char* fallback) {
  if (!value.empty()) return value;
  const char* e = std::getenv(env);
  if (e != nullptr && e[0] != '\0') return e;
  return fallback;
}

bool Wanted(const std::vector<std::string>& list, const std::string& name) {
  return list.empty() || std::find(list.begin(), list.end(), name) != list.end();
}

}  // namespace

std::string ToolPaths::ResolvedNvml() const { return FromEnv(nvml_library, "EDGELM_NVML_LIBRARY", "libnvidia-ml.so.1"); }
std::string ToolPaths::ResolvedVcgencmd() const { return FromEnv(vcgencmd, "EDGELM_VCGENCMD", "vcgencmd"); }
std::string ToolPaths::ResolvedTegrastats() const { return FromEnv(tegrastats, "EDGELM_TEGRASTATS", "tegrastats"); }

const char* FindingStateName(SourceFinding::State s) {
  switch (s) {
    case SourceFinding::State::kReadable: return "readable";
    case SourceFinding::State::kUnreadable: return "unreadable";
    case SourceFinding::State::kAbsent: return "absent";
  }
  return "unknown";
}

Result<Discovery> DiscoverEnergySources(const DiscoveryOptions& o) {
  for (const auto& s : o.sources) {
    bool known = false;
    for (const char* n : kEnergySourceNames) known |= s == n;
    if (!known) {
      std::string all;
      for (const char* n : kEnergySourceNames) all += (all.empty() ? "" : ", ") + std::string(n);
      return InvalidArgumentError("unknown power source '" + s + "' (known: " + all + ")");
    }
  }
  if (!o.sources.empty() && Wanted(o.sources, "external") && o.power_cmd.empty() && o.power_log.empty()) {
    return InvalidArgumentError("power source 'external' needs --power-cmd CMD or --power-log FILE");
  }
  Discovery d;
  if (Wanted(o.sources, "rapl")) DiscoverRapl(o.root, o.rapl_prefer_psys, &d);
  if (Wanted(o.sources, "jetson")) DiscoverJetson(o.root, o.tools, &d);
  if (Wanted(o.sources, "hwmon")) DiscoverHwmon(o.root, &d);
  if (Wanted(o.sources, "rpi5-pmic")) DiscoverRpi5Pmic(o.root, o.tools, &d);
  if (Wanted(o.sources, "nvml")) DiscoverNvml(o.tools, &d);
  if (Wanted(o.sources, "external")) AddExternal(o.power_cmd, o.power_log, &d);

  const bool estimate_named = std::find(o.sources.begin(), o.sources.end(), "estimate") != o.sources.end();
  const bool any_measured = !d.sensors.empty();
  if (estimate_named || (o.sources.empty() && !any_measured)) {
    std::string spec = o.device_profile.empty() ? "auto" : o.device_profile;
    std::string mode;
    // "id:mode"; a path may contain ':' only in odd cases, so split on the last one
    // and only for ids.
    if (spec.find('/') == std::string::npos) {
      size_t colon = spec.rfind(':');
      if (colon != std::string::npos) {
        mode = spec.substr(colon + 1);
        spec = spec.substr(0, colon);
      }
    }
    const std::string dir = o.device_dir.empty() ? DeviceProfileDir() : o.device_dir;
    Result<DeviceProfile> profile = SelectDeviceProfile(spec, dir, o.root);
    if (!profile.ok()) {
      if (estimate_named || spec != "auto") return profile.status();
      d.findings.push_back({"estimate", spec, SourceFinding::State::kUnreadable, profile.status().ToString(),
                            "set EDGELM_DEVICE_DIR to edgelm's data/devices directory"});
    } else {
      AddEstimate(o.root, *profile, mode, &d);
    }
  }
  return d;
}

}  // namespace edgelm::telemetry
