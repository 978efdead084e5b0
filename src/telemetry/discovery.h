// Finding the energy sources of this machine: used by the Telemetry session and by
// `edgelm doctor`.
#pragma once

#include <string>
#include <vector>

#include "telemetry/sources.h"

namespace edgelm::telemetry {

inline constexpr const char* kEnergySourceNames[] = {"rapl", "hwmon", "jetson", "rpi5-pmic", "nvml", "external", "estimate"};

struct DiscoveryOptions {
  SysfsRoot root;
  ToolPaths tools;
  // Names from kEnergySourceNames; empty = every measured source found, plus the
  // estimate only when no measured source was found. Naming "estimate" adds it always.
  std::vector<std::string> sources;
  bool rapl_prefer_psys = true;
  std::string power_cmd;
  std::string power_log;
  // "auto", a profile id, "id:mode" (e.g. "jetson-orin-nano-8gb:15W"), or a .toml path.
  std::string device_profile = "auto";
  std::string device_dir;  // "" -> DeviceProfileDir()
};

// Fails only on bad options (an unknown source name, a profile that does not exist).
Result<Discovery> DiscoverEnergySources(const DiscoveryOptions& options);

}  // namespace edgelm::telemetry
