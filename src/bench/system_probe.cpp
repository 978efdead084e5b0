#include "bench/system_probe.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>

namespace edgelm::bench {
namespace {

std::optional<uint64_t> ReadKbLine(const char* file, const std::string& key) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > key.size() && line.compare(0, key.size(), key) == 0 && line[key.size()] == ':') {
      std::istringstream fields(line.substr(key.size() + 1));
      uint64_t kb = 0;
      std::string unit;
      if (!(fields >> kb)) return std::nullopt;
      fields >> unit;
      return unit == "kB" ? kb * 1024 : kb;
    }
  }
  return std::nullopt;
}

std::optional<std::string> ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  return line;
}

}  // namespace

std::optional<uint64_t> ReadProcStatusBytes(const std::string& key) { return ReadKbLine("/proc/self/status", key); }

std::optional<uint64_t> ReadMemInfoBytes(const std::string& key) { return ReadKbLine("/proc/meminfo", key); }

bool ResetPeakRss() {
  FILE* f = std::fopen("/proc/self/clear_refs", "w");
  if (!f) return false;
  const bool wrote = std::fputs("5", f) >= 0;
  return std::fclose(f) == 0 && wrote;
}

std::optional<double> LoadAverage1Min() {
  auto line = ReadFirstLine("/proc/loadavg");
  if (!line) return std::nullopt;
  std::istringstream in(*line);
  double v;
  if (!(in >> v)) return std::nullopt;
  return v;
}

std::optional<std::string> CpuGovernors() {
  std::set<std::string> seen;
  std::string joined;
  const int n = OnlineCpuCount();
  for (int cpu = 0; cpu < n; ++cpu) {
    auto g = ReadFirstLine("/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/cpufreq/scaling_governor");
    if (g && seen.insert(*g).second) joined += (joined.empty() ? "" : "/") + *g;
  }
  if (joined.empty()) return std::nullopt;
  return joined;
}

int OnlineCpuCount() {
  long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

std::string KernelDescription() {
  utsname u;
  if (::uname(&u) != 0) return "unknown";
  return std::string(u.sysname) + " " + u.release + " " + u.version + " " + u.machine;
}

std::string IsoUtc(int64_t unix_ns) {
  time_t secs = static_cast<time_t>(unix_ns / 1000000000LL);
  tm t;
  gmtime_r(&secs, &t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &t);
  return buf;
}

}  // namespace edgelm::bench
