// Sensor plug-ins: each source (rapl, hwmon, jetson, rpi5-pmic, nvml, external,
// estimate, and the thermal/clock/counter samplers) implements Sensor, and the Sampler
// reads them on a background thread.
//
// Goals: every value carries what it is (quantity, unit, channel), where it came from
// (a file, a command, a library call) and whether it is measured or estimated. A source
// that cannot be read says why and how to fix it; it never yields 0.
// Non-goals: interpreting the values (energy.h does that) or printing them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace edgelm::telemetry {

enum class Quantity {
  kEnergyCounter,  // cumulative energy; energy of an interval = counter difference
  kPower,          // instantaneous (or short-window average) power; integrated
  kTemperature,    // degrees Celsius
  kFrequency,      // Hz
  kEventCounter,   // cumulative event count (perf counters)
};
const char* QuantityName(Quantity q);

struct ChannelInfo {
  std::string name;         // "package-0", "VDD_IN", "gpu0", "cpu3", "cycles"
  Quantity quantity = Quantity::kPower;
  std::string native_unit;  // unit of the raw values: "uJ", "mJ", "uW", "mW", "W", "mC", "kHz"
  // Raw value * to_si = joules (energy), watts (power), degC, Hz or events.
  double to_si = 1.0;
  // For counters that wrap (RAPL): the counter range in native units; 0 = never wraps.
  double wrap_range = 0.0;
  // Whether this channel counts towards the source's total. Channels inside another
  // counted channel (RAPL core/uncore inside package, Jetson rails inside VDD_IN) are
  // reported but not added, so nothing is counted twice.
  bool in_total = true;
  std::string origin;       // the file, command or call the value comes from
};

// One reading of all of a sensor's channels at one time (MonotonicNs).
struct Sample {
  int64_t t_ns = 0;
  std::vector<double> values;  // native units, one per channel
};

class Sensor {
 public:
  virtual ~Sensor() = default;

  // Unique within a session: "rapl", "hwmon:ina226@hwmon3", "nvml:gpu0".
  virtual std::string name() const = 0;
  // Source label, one of: rapl, hwmon, jetson, rpi5-pmic, nvml, external, estimate,
  // thermal, cpufreq, perf.
  virtual std::string source() const = 0;
  // What the total covers, in words ("CPU package + DRAM", "board input (VDD_IN)",
  // "PMIC rails, not wall power", "estimated from CPU utilisation with profile X").
  virtual std::string coverage() const = 0;
  virtual bool estimated() const { return false; }
  // Fastest useful interval: the rate the hardware or driver updates the value. The
  // sampler never reads faster than this.
  virtual int64_t min_update_interval_ns() const = 0;

  // Discovers channels and checks they can be read. After OK, channels() is final.
  virtual Status Open() = 0;
  virtual const std::vector<ChannelInfo>& channels() const = 0;
  virtual Status Start() { return Status::Ok(); }
  virtual Status Stop() { return Status::Ok(); }
  // Appends zero or more samples. Polled sensors append one sample stamped `now_ns`
  // (the sampler passes the midpoint of the read when it can); streaming sensors
  // (commands, logs) append what arrived, each with its own timestamp.
  virtual Status Read(int64_t now_ns, std::vector<Sample>* out) = 0;
  // A file descriptor that becomes readable when a streaming sensor has data (-1 for
  // polled sensors). The sampler waits on it between polls.
  virtual int stream_fd() const { return -1; }
  // Whether samples carry their own timestamps at their own pace (meter streams and
  // logs): the sampler's interval then says nothing about their spacing.
  virtual bool self_timed() const { return stream_fd() >= 0; }
};

}  // namespace edgelm::telemetry
