// The energy sources: discovery (what this machine offers, whether it is readable and
// how to fix it when not) and the Sensor of each. Parsers of command output are exposed
// for tests.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "telemetry/device_profile.h"
#include "telemetry/sensor.h"
#include "telemetry/sysfs.h"

namespace edgelm::telemetry {

// What discovery learned about one source instance, for doctor and reports.
struct SourceFinding {
  enum class State {
    kReadable,    // found and read successfully: a Sensor was created
    kUnreadable,  // present but cannot be read (permissions, driver error)
    kAbsent,      // not on this machine
  };
  std::string source;  // rapl, hwmon, jetson, rpi5-pmic, nvml, external, estimate
  std::string what;    // "intel-rapl:0 package-0", "/sys/class/hwmon/hwmon3 (ina226)"
  State state = State::kAbsent;
  std::string detail;  // what was found, or the error
  std::string fix;     // exact remedy when not readable/absent; empty when readable
};
const char* FindingStateName(SourceFinding::State s);

struct Discovery {
  std::vector<std::unique_ptr<Sensor>> sensors;  // opened, ready to sample
  std::vector<SourceFinding> findings;
};

// Commands and libraries, overridable for tests and unusual installs. Empty fields use
// the environment (EDGELM_NVML_LIBRARY, EDGELM_VCGENCMD, EDGELM_TEGRASTATS), then the
// defaults (libnvidia-ml.so.1, vcgencmd, tegrastats).
struct ToolPaths {
  std::string nvml_library;
  std::string vcgencmd;
  std::string tegrastats;
  std::string ResolvedNvml() const;
  std::string ResolvedVcgencmd() const;
  std::string ResolvedTegrastats() const;
};

// RAPL (powercap). prefer_psys: when a psys (platform) domain exists it is the total
// and packages/DRAM are reported but not added; otherwise packages + DRAM.
void DiscoverRapl(const SysfsRoot& root, bool prefer_psys, Discovery* out);
// hwmon devices with power, energy or voltage x current channels (INA219/226/3221...),
// except Jetson rail monitors, which DiscoverJetson claims.
void DiscoverHwmon(const SysfsRoot& root, Discovery* out);
// Jetson INA3221 rails (hwmon or the older iio layout); tegrastats as a fallback.
void DiscoverJetson(const SysfsRoot& root, const ToolPaths& tools, Discovery* out);
// Raspberry Pi 5 PMIC rails through `vcgencmd pmic_read_adc`.
void DiscoverRpi5Pmic(const SysfsRoot& root, const ToolPaths& tools, Discovery* out);
// NVIDIA GPUs through NVML, dlopen'ed at run time.
void DiscoverNvml(const ToolPaths& tools, Discovery* out);
// An external meter: a command printing watts (one reading per line) and/or a log file.
void AddExternal(const std::string& power_cmd, const std::string& power_log, Discovery* out);
// The labelled estimate from a device profile and /proc/stat.
void AddEstimate(const SysfsRoot& root, const DeviceProfile& profile, const std::string& mode,
                 Discovery* out);

// Whether a label names a Jetson rail (VDD_*, POM_*, VIN_*).
bool IsJetsonRailLabel(const std::string& label);
// Whether a rail is the board input (VDD_IN, POM_5V_IN, ...): the board total.
bool IsBoardInputRail(const std::string& label);

// --- parsers (exposed for tests) ---

// One tegrastats line -> rails in mW ("VDD_IN 5123mW/5123mW" and "POM_5V_IN 2341/2341").
struct RailReading {
  std::string rail;
  double value = 0;  // mW for tegrastats; W for the PMIC
};
std::vector<RailReading> ParseTegrastatsLine(const std::string& line);

// `vcgencmd pmic_read_adc` -> rail power in W (current x voltage paired per rail);
// rails with only a voltage or only a current are listed in *unpaired.
Result<std::vector<RailReading>> ParsePmicReadAdc(const std::string& text,
                                                  std::vector<std::string>* unpaired);

// `vcgencmd get_throttled` ("throttled=0x50005").
struct ThrottledBits {
  uint32_t raw = 0;
  bool under_voltage = false, freq_capped = false, throttled = false, soft_temp_limit = false;
  bool under_voltage_occurred = false, freq_capped_occurred = false, throttled_occurred = false,
       soft_temp_limit_occurred = false;
  std::string Describe() const;  // "under-voltage now; throttling has occurred" / "none"
};
Result<ThrottledBits> ParseGetThrottled(const std::string& text);
Result<ThrottledBits> ReadRpiThrottled(const ToolPaths& tools);

// One line of an external meter: the first number is watts ("12.5", "12.5 W", "12.5W").
std::optional<double> ParseWattsLine(const std::string& line);
// One power-log line "<unix_time_s>,<watts>" (comma, semicolon, tab or space separated;
// '#' comments and non-numeric header lines give nullopt without error).
struct LogReading {
  double unix_time_s = 0;
  double watts = 0;
};
std::optional<LogReading> ParsePowerLogLine(const std::string& line);

// The exact fix for an unreadable RAPL energy_uj.
std::string RaplPermissionFix(const std::string& zone_dir);
// The advice when no power sensor exists at all.
inline constexpr const char* kNoSensorFix =
    "no sensor on this hardware: use --power-cmd with an external meter (a command printing "
    "watts, one reading per line) or --power-log FILE, or the labelled estimate (power "
    "source 'estimate' with a device profile from data/devices)";

}  // namespace edgelm::telemetry
