// The background sampling thread: reads every sensor at its own interval (never faster
// than the sensor updates), stamps samples on the MonotonicNs clock, keeps them in a
// bounded buffer per sensor, and measures its own CPU cost.
//
// Non-goals: interpretation (energy.h) and real-time guarantees; a late read is
// recorded at the time it happened, so integration stays correct when the thread is
// delayed.
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "telemetry/sensor.h"

namespace edgelm::telemetry {

// A copy of one sensor's retained samples, oldest first.
struct Series {
  size_t n_channels = 0;
  std::vector<int64_t> t_ns;
  std::vector<double> values;  // row-major [n_samples, n_channels]
  // Time of the newest sample that was dropped because the buffer was full;
  // INT64_MIN when nothing was dropped. Intervals starting before it cannot be measured.
  int64_t dropped_until_ns = std::numeric_limits<int64_t>::min();
  uint64_t n_dropped = 0;

  size_t size() const { return t_ns.size(); }
  double at(size_t sample, size_t channel) const { return values[sample * n_channels + channel]; }
};

// Fixed-capacity ring of samples for one sensor; the oldest sample is overwritten when
// full (and counted), so memory stays bounded in long runs.
class SeriesBuffer {
 public:
  SeriesBuffer(size_t n_channels, size_t capacity);
  // Out-of-order samples (older than the newest kept) are rejected and counted; the
  // integrators require time order.
  bool Push(const Sample& s);
  Series Snapshot() const;
  uint64_t n_pushed() const;
  uint64_t n_rejected() const;

 private:
  mutable std::mutex mu_;
  size_t n_channels_, capacity_;
  std::vector<int64_t> t_;
  std::vector<double> v_;
  size_t head_ = 0;  // index of the oldest sample
  size_t count_ = 0;
  uint64_t pushed_ = 0, dropped_ = 0, rejected_ = 0;
  int64_t dropped_until_ns_ = std::numeric_limits<int64_t>::min();
};

struct SamplerOptions {
  // Used for sensors added without an interval. 100 ms: RAPL, hwmon and NVML update
  // at 1-100 ms, and 10 reads/s keeps the sampler's cost far below 1% of a core.
  int64_t default_interval_ns = 100'000'000;
  // Samples kept per sensor: 65536 at 100 ms is 1.8 h of history.
  size_t buffer_capacity = 1 << 16;
};

struct SensorStats {
  uint64_t n_samples = 0;   // samples taken (including ones later dropped)
  uint64_t n_dropped = 0;   // overwritten because the buffer was full
  uint64_t n_rejected = 0;  // out of time order
  uint64_t n_read_errors = 0;
  std::string last_error;   // empty when every read succeeded
};

struct SamplerOverhead {
  int64_t thread_cpu_ns = 0;  // CPU time of the sampler thread
  int64_t wall_ns = 0;        // how long it ran
  // thread_cpu_ns / wall_ns: the fraction of one core the sampler used.
  double core_fraction() const { return wall_ns > 0 ? double(thread_cpu_ns) / double(wall_ns) : 0.0; }
};

class Sampler {
 public:
  explicit Sampler(SamplerOptions options = {});
  ~Sampler();
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  // Adds an opened sensor. `interval_ns` 0 uses the default; an interval below the
  // sensor's update interval is raised to it. Returns the sensor's index.
  // Only before Start().
  size_t Add(std::unique_ptr<Sensor> sensor, int64_t interval_ns = 0);
  // Starts each sensor and the thread. A sensor whose Start fails is reported in the
  // returned status (the others keep running).
  Status Start();
  // Stops the thread and the sensors. Idempotent.
  Status Stop();
  bool running() const { return running_.load(); }
  // Waits until every started sensor has at least one sample (streams and commands take
  // a moment to print their first line), or the timeout passes. Returns the names of
  // the sensors still without a sample.
  std::vector<std::string> WaitForFirstSamples(int64_t timeout_ns) const;

  size_t size() const { return entries_.size(); }
  Sensor& sensor(size_t i) { return *entries_[i].sensor; }
  const Sensor& sensor(size_t i) const { return *entries_[i].sensor; }
  int64_t interval_ns(size_t i) const { return entries_[i].interval_ns; }
  Series Snapshot(size_t i) const { return entries_[i].buffer->Snapshot(); }
  SensorStats stats(size_t i) const;
  // While running: so far; after Stop: the whole run.
  SamplerOverhead overhead() const;

 private:
  struct Entry {
    std::unique_ptr<Sensor> sensor;
    int64_t interval_ns = 0;
    std::unique_ptr<SeriesBuffer> buffer;
    int64_t next_due_ns = 0;
    bool started = false;
    std::atomic<uint64_t> read_errors{0};
    mutable std::mutex error_mu;
    std::string last_error;
  };
  void Run();
  void ReadOne(Entry& e, int64_t now_ns);

  SamplerOptions options_;
  // Entries hold a mutex and atomics, so they live behind pointers.
  struct EntryList {
    std::vector<std::unique_ptr<Entry>> v;
    Entry& operator[](size_t i) { return *v[i]; }
    const Entry& operator[](size_t i) const { return *v[i]; }
    size_t size() const { return v.size(); }
  } entries_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<bool> stop_requested_{false};
  int wake_fd_ = -1;  // eventfd that interrupts the wait on Stop
  std::atomic<int64_t> cpu_ns_{0}, start_ns_{0}, end_ns_{0};
};

}  // namespace edgelm::telemetry
