// Device specifications for the feasibility study: the telemetry layer's device profiles
// (data/devices/*.toml: id, name, power model and modes) extended with memory, memory
// bandwidth, price and compute figures, each with its provenance. The format and the
// rules are in data/devices/README.md; the telemetry reader ignores these extra tables
// and this reader reuses it for the power part, so there is one file per device.
//
// "this-machine" measures its memory: total = MemTotal and usable = MemAvailable from
// /proc/meminfo under the telemetry layer's sysfs root (EDGELM_SYSFS_ROOT).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/provenance.h"
#include "core/status.h"
#include "telemetry/device_profile.h"
#include "telemetry/sysfs.h"

namespace edgelm::analysis {

struct DeviceSpec {
  telemetry::DeviceProfile profile;  // id, name, power model (+ modes), power basis
  std::optional<Figure> total_memory_bytes;
  // What a model may use: total minus OS, firmware and carve-outs (GPU, CMA).
  std::optional<Figure> usable_memory_bytes;
  std::optional<Figure> memory_bandwidth_bytes_per_s;  // peak (published), not sustained
  std::optional<Figure> price_usd;
  // Peak CPU arithmetic rate (FP32 FLOP/s, all cores) for the prefill prediction.
  std::optional<Figure> compute_flops_per_s;
  Provenance power_provenance = Provenance::kAssumed;  // of profile.power / modes
  std::vector<std::string> notes;  // why a figure is absent (e.g. /proc/meminfo unreadable)

  const std::string& id() const { return profile.id; }
};

// Idle and peak power of a mode ("" = default) with its provenance and basis.
struct PowerFigures {
  Figure idle_watts;
  Figure peak_watts;
};
Result<PowerFigures> DevicePower(const DeviceSpec& d, const std::string& mode);

// One profile file. `root` is where this-machine reads /proc/meminfo.
Result<DeviceSpec> LoadDeviceSpecFile(const std::string& path, const telemetry::SysfsRoot& root);
// Every profile in `dir` (telemetry::DeviceProfileDir() by default), sorted by id.
Result<std::vector<DeviceSpec>> LoadDeviceSpecs(const std::string& dir, const telemetry::SysfsRoot& root);
// By id, or a path to a .toml file; an unknown id gives an error listing every known id.
Result<DeviceSpec> FindDeviceSpec(const std::string& id_or_path, const std::string& dir,
                                  const telemetry::SysfsRoot& root);

// MemTotal and MemAvailable from <root>/proc/meminfo, in bytes.
struct MemInfo {
  uint64_t total_bytes = 0;
  uint64_t available_bytes = 0;
};
Result<MemInfo> ReadMemInfo(const telemetry::SysfsRoot& root);

}  // namespace edgelm::analysis
