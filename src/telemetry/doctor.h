// `edgelm doctor`: what this machine offers for running and measuring models — ISA and
// kernel path, core topology, memory, each energy sensor and whether it is readable,
// governors, thermal zones, hardware counters — and for each missing or unreadable one
// the exact fix.
#pragma once

#include <string>
#include <vector>

#include "telemetry/discovery.h"
#include "telemetry/perf_counters.h"
#include "telemetry/system_info.h"

namespace edgelm::telemetry {

struct DoctorOptions {
  std::string sysfs_root;  // "" -> env EDGELM_SYSFS_ROOT, else "/"
  ToolPaths tools;
  std::string device_profile = "auto";
  std::string device_dir;
  SysfsRoot::FaultInjector fault_injector;  // tests
};

struct DoctorReport {
  std::string sysfs_root;
  std::string cpu;             // DescribeCpuFeatures (the real CPU, not the fixture)
  std::string best_isa;
  std::vector<std::string> isas;
  SystemInfo system;
  std::vector<SourceFinding> findings;  // every energy source
  std::vector<std::string> energy_sources_readable;  // sensor names that can measure
  std::string energy_verdict;           // one line: what energy figures will be
  std::string estimate_profile;         // the profile the estimate would use
  std::vector<CounterStatus> counters;
  std::vector<std::string> advice;      // governor, thermal, etc.
};

DoctorReport RunDoctor(const DoctorOptions& options);
std::string DoctorText(const DoctorReport& report);
std::string DoctorJson(const DoctorReport& report);

}  // namespace edgelm::telemetry
