// What the operating system says about this process and machine, read from /proc and
// /sys: resident memory, memory available, load, CPU frequency governor. Each reader
// returns std::nullopt when the source does not exist (another OS, a container that
// hides it): such a value is absent from reports, never 0.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace edgelm::bench {

// A "Key:   123 kB" line of /proc/self/status (VmRSS, VmHWM), in bytes.
std::optional<uint64_t> ReadProcStatusBytes(const std::string& key);
// A "Key:   123 kB" line of /proc/meminfo (MemTotal, MemAvailable), in bytes.
std::optional<uint64_t> ReadMemInfoBytes(const std::string& key);
// Resets this process's peak RSS (VmHWM) to the current RSS by writing "5" to
// /proc/self/clear_refs (Linux >= 4.0), so that the next VmHWM reading is the peak of
// what ran in between. False when the kernel refused.
bool ResetPeakRss();
// One-minute load average.
std::optional<double> LoadAverage1Min();
// Frequency governors of all CPUs, distinct values joined with '/' ("performance",
// "powersave/performance"); absent without cpufreq.
std::optional<std::string> CpuGovernors();
// CPUs online.
int OnlineCpuCount();
// "Linux 6.1.0-18-amd64 #1 SMP ... x86_64" from uname(2).
std::string KernelDescription();
// "2026-11-21T07:45:03Z" for a wall-clock time in ns since the epoch.
std::string IsoUtc(int64_t unix_ns);

}  // namespace edgelm::bench
