// Monotonic clock used for every timestamp edgelm records (engine phases, sensor
// samples), so that engine events and telemetry line up on one time base.
#pragma once

#include <cstdint>
#include <ctime>

namespace edgelm {

// Nanoseconds on CLOCK_MONOTONIC (not affected by NTP steps).
inline int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

// Nanoseconds since the Unix epoch, for dates in reports and aligning external meter logs.
inline int64_t WallClockNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

// CPU time consumed by the calling thread, for measuring our own overhead.
inline int64_t ThreadCpuNs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

}  // namespace edgelm
