// Hardware event counters (cycles, instructions, cache references, cache misses) for
// this process through perf_event_open, sampled like the other sensors so that any
// phase gets its counts by counter difference. Where the kernel or VM refuses (no PMU,
// perf_event_paranoid), each counter is reported unsupported with the errno reason.
//
// Counting covers threads created after Open (inherit=1): create the Telemetry session
// before the engine starts its thread pool.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "telemetry/sensor.h"

namespace edgelm::telemetry {

struct CounterStatus {
  std::string name;  // "cycles"
  bool supported = false;
  std::string reason;  // errno text and the likely cause when unsupported
  std::string fix;
};

// Opens the four counters; returns a sensor for those that opened (nullptr when none)
// and the status of each in *statuses.
std::unique_ptr<Sensor> MakePerfCounterSensor(std::vector<CounterStatus>* statuses);

}  // namespace edgelm::telemetry
