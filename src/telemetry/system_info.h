// Static facts about the machine (core topology, memory, governors, thermal zones and
// their trip points) and the thermal/clock sensors sampled alongside energy.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "telemetry/sensor.h"
#include "telemetry/sysfs.h"

namespace edgelm::telemetry {

struct CoreInfo {
  int cpu = 0;
  std::optional<int64_t> max_freq_khz;   // cpuinfo_max_freq
  std::optional<int64_t> cur_freq_khz;   // scaling_cur_freq when read
  std::optional<int64_t> scaling_max_khz;
  std::optional<int64_t> capacity;       // cpu_capacity (big.LITTLE, 1024 = biggest)
  std::string governor;                  // "" when cpufreq is absent
};

struct CoreCluster {
  std::string key;         // "max 2400 MHz" or "capacity 1024"
  std::vector<int> cpus;
};

struct ThermalZoneInfo {
  std::string zone;  // thermal_zone0
  std::string type;  // x86_pkg_temp, cpu-thermal
  std::optional<double> temp_c;
  std::optional<double> trip_c;  // lowest passive/hot/critical trip point
  std::string trip_type;
  std::string error;  // why temp is absent
};

struct SystemInfo {
  std::vector<CoreInfo> cores;
  std::vector<CoreCluster> clusters;  // by cpu_capacity, else by max frequency
  std::optional<int64_t> mem_total_bytes, mem_available_bytes;
  std::vector<ThermalZoneInfo> thermal_zones;
  std::vector<std::string> governors;  // distinct, sorted
  std::string kernel;                  // uname: "Linux 6.1.0 x86_64" (the real machine)
  std::string machine_model;           // device tree / DMI
};

SystemInfo ReadSystemInfo(const SysfsRoot& root);
std::vector<ThermalZoneInfo> ReadThermalZones(const SysfsRoot& root);
std::vector<CoreInfo> ReadCores(const SysfsRoot& root);
std::vector<CoreCluster> ClusterCores(const std::vector<CoreInfo>& cores);

// Sensors: one channel per readable thermal zone (m°C); one per core with cpufreq (kHz).
// nullptr + reason when nothing is readable.
std::unique_ptr<Sensor> MakeThermalSensor(const SysfsRoot& root, std::string* reason);
std::unique_ptr<Sensor> MakeCpuFreqSensor(const SysfsRoot& root, std::string* reason);

}  // namespace edgelm::telemetry
