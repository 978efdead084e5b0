// Device profiles (data/devices/*.toml): what the labelled power estimate needs, and a
// place for facts about a device that the study may extend. Format: data/devices/README.md.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "telemetry/sysfs.h"

namespace edgelm::telemetry {

struct PowerModel {
  double idle_watts = 0;
  double max_watts = 0;
};

struct DeviceProfile {
  std::string id;    // file stem: "raspberry-pi-5-8gb"
  std::string name;  // "Raspberry Pi 5 Model B, 8 GB"
  std::string path;  // where it was loaded from
  std::vector<std::string> match_model;  // substrings of the device-tree model / DMI name
  PowerModel power;                      // the default mode
  std::string power_basis;               // where the numbers come from, and what they cover
  std::map<std::string, PowerModel> modes;  // e.g. Jetson nvpmodel "7W", "15W", "25W"
  std::string default_mode;
};

// The directory of profiles: env EDGELM_DEVICE_DIR, else the source tree's data/devices.
std::string DeviceProfileDir();
Result<DeviceProfile> LoadDeviceProfileFile(const std::string& path);
Result<std::vector<DeviceProfile>> LoadDeviceProfiles(const std::string& dir);
// `spec` is a profile id, a path to a .toml file, or "auto" (match this machine's
// device-tree model or DMI product name, else the generic "this-machine" profile).
Result<DeviceProfile> SelectDeviceProfile(const std::string& spec, const std::string& dir,
                                          const SysfsRoot& root);
// The power model of `mode` ("" -> default mode or the top-level model).
Result<PowerModel> ProfilePowerModel(const DeviceProfile& p, const std::string& mode);
// /proc/device-tree/model, else /sys/class/dmi/id/product_name (empty when neither).
std::string MachineModel(const SysfsRoot& root);

}  // namespace edgelm::telemetry
