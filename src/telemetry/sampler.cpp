#include "telemetry/sampler.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "core/clock.h"

namespace edgelm::telemetry {

const char* QuantityName(Quantity q) {
  switch (q) {
    case Quantity::kEnergyCounter: return "energy counter";
    case Quantity::kPower: return "power";
    case Quantity::kTemperature: return "temperature";
    case Quantity::kFrequency: return "frequency";
    case Quantity::kEventCounter: return "event counter";
  }
  return "unknown";
}

SeriesBuffer::SeriesBuffer(size_t n_channels, size_t capacity)
    : n_channels_(n_channels), capacity_(std::max<size_t>(capacity, 2)) {
  t_.resize(capacity_);
  v_.resize(capacity_ * n_channels_);
}

bool SeriesBuffer::Push(const Sample& s) {
  std::lock_guard<std::mutex> lock(mu_);
  if (s.values.size() != n_channels_) {
    ++rejected_;
    return false;
  }
  if (count_ > 0) {
    size_t newest = (head_ + count_ - 1) % capacity_;
    if (s.t_ns < t_[newest]) {
      ++rejected_;
      return false;
    }
  }
  size_t slot;
  if (count_ == capacity_) {
    dropped_until_ns_ = t_[head_];
    ++dropped_;
    slot = head_;
    head_ = (head_ + 1) % capacity_;
  } else {
    slot = (head_ + count_) % capacity_;
    ++count_;
  }
  t_[slot] = s.t_ns;
  std::copy(s.values.begin(), s.values.end(), v_.begin() + static_cast<ptrdiff_t>(slot * n_channels_));
  ++pushed_;
  return true;
}

Series SeriesBuffer::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  Series out;
  out.n_channels = n_channels_;
  out.t_ns.reserve(count_);
  out.values.reserve(count_ * n_channels_);
  for (size_t k = 0; k < count_; ++k) {
    size_t slot = (head_ + k) % capacity_;
    out.t_ns.push_back(t_[slot]);
    out.values.insert(out.values.end(), v_.begin() + static_cast<ptrdiff_t>(slot * n_channels_),
                      v_.begin() + static_cast<ptrdiff_t>((slot + 1) * n_channels_));
  }
  out.dropped_until_ns = dropped_until_ns_;
  out.n_dropped = dropped_;
  return out;
}

uint64_t SeriesBuffer::n_pushed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pushed_;
}

uint64_t SeriesBuffer::n_rejected() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rejected_;
}

Sampler::Sampler(SamplerOptions options) : options_(options) {
  if (options_.default_interval_ns <= 0) options_.default_interval_ns = 100'000'000;
}

Sampler::~Sampler() { (void)Stop(); }

size_t Sampler::Add(std::unique_ptr<Sensor> sensor, int64_t interval_ns) {
  EDGELM_CHECK_MSG(!running_.load(), "Sampler::Add after Start");
  auto e = std::make_unique<Entry>();
  int64_t interval = interval_ns > 0 ? interval_ns : options_.default_interval_ns;
  e->interval_ns = std::max(interval, sensor->min_update_interval_ns());
  e->buffer = std::make_unique<SeriesBuffer>(sensor->channels().size(), options_.buffer_capacity);
  e->sensor = std::move(sensor);
  entries_.v.push_back(std::move(e));
  return entries_.size() - 1;
}

Status Sampler::Start() {
  if (running_.load()) return Status::Ok();
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) return IoError("sampler: eventfd failed: " + ErrnoText(errno));
  std::string failures;
  const int64_t now = MonotonicNs();
  for (size_t i = 0; i < entries_.size(); ++i) {
    Entry& e = entries_[i];
    Status s = e.sensor->Start();
    if (!s.ok()) {
      failures += (failures.empty() ? "" : "; ") + e.sensor->name() + ": " + s.ToString();
      continue;
    }
    e.started = true;
    e.next_due_ns = now;  // first reading right away: it anchors counter differences
  }
  stop_requested_ = false;
  cpu_ns_ = 0;
  start_ns_ = now;
  end_ns_ = 0;
  running_ = true;
  thread_ = std::thread([this] { Run(); });
  if (!failures.empty()) return IoError("sensors that did not start: " + failures);
  return Status::Ok();
}

Status Sampler::Stop() {
  if (!running_.load()) return Status::Ok();
  stop_requested_ = true;
  uint64_t one = 1;
  if (write(wake_fd_, &one, sizeof(one)) < 0) {
    // The eventfd cannot be full after one write; the thread also re-checks the flag
    // within one interval, so a failed wake only delays the stop.
  }
  if (thread_.joinable()) thread_.join();
  running_ = false;
  close(wake_fd_);
  wake_fd_ = -1;
  std::string failures;
  for (size_t i = 0; i < entries_.size(); ++i) {
    Entry& e = entries_[i];
    if (!e.started) continue;
    e.started = false;
    Status s = e.sensor->Stop();
    if (!s.ok()) failures += (failures.empty() ? "" : "; ") + e.sensor->name() + ": " + s.ToString();
  }
  if (!failures.empty()) return IoError("sensors that did not stop cleanly: " + failures);
  return Status::Ok();
}

std::vector<std::string> Sampler::WaitForFirstSamples(int64_t timeout_ns) const {
  const int64_t deadline = MonotonicNs() + timeout_ns;
  while (true) {
    std::vector<std::string> missing;
    for (size_t i = 0; i < entries_.size(); ++i) {
      const Entry& e = entries_[i];
      if (e.started && e.buffer->n_pushed() == 0) missing.push_back(e.sensor->name());
    }
    if (missing.empty() || MonotonicNs() >= deadline) return missing;
    usleep(2000);  // first lines arrive within milliseconds; no need for a condition variable
  }
}

SensorStats Sampler::stats(size_t i) const {
  const Entry& e = entries_[i];
  SensorStats st;
  Series s = e.buffer->Snapshot();
  st.n_samples = e.buffer->n_pushed();
  st.n_dropped = s.n_dropped;
  st.n_rejected = e.buffer->n_rejected();
  st.n_read_errors = e.read_errors.load();
  std::lock_guard<std::mutex> lock(e.error_mu);
  st.last_error = e.last_error;
  return st;
}

SamplerOverhead Sampler::overhead() const {
  SamplerOverhead o;
  o.thread_cpu_ns = cpu_ns_.load();
  int64_t end = end_ns_.load();
  if (end == 0) end = MonotonicNs();
  o.wall_ns = start_ns_.load() > 0 ? end - start_ns_.load() : 0;
  return o;
}

void Sampler::ReadOne(Entry& e, int64_t now_ns) {
  std::vector<Sample> samples;
  Status s = e.sensor->Read(now_ns, &samples);
  for (const Sample& sample : samples) e.buffer->Push(sample);
  if (!s.ok()) {
    e.read_errors.fetch_add(1);
    std::lock_guard<std::mutex> lock(e.error_mu);
    e.last_error = s.ToString();
  }
}

void Sampler::Run() {
  const int64_t cpu0 = ThreadCpuNs();
  std::vector<pollfd> fds;
  std::vector<size_t> fd_owner;
  while (!stop_requested_.load()) {
    int64_t now = MonotonicNs();
    int64_t next_due = now + 1'000'000'000;
    for (size_t i = 0; i < entries_.size(); ++i) {
      Entry& e = entries_[i];
      if (!e.started || e.sensor->stream_fd() >= 0) continue;
      if (e.next_due_ns <= now) {
        ReadOne(e, MonotonicNs());
        e.next_due_ns += e.interval_ns;
        // After a stall, resume the cadence from now instead of reading in a burst.
        if (e.next_due_ns <= now) e.next_due_ns = now + e.interval_ns;
      }
      next_due = std::min(next_due, e.next_due_ns);
    }
    fds.clear();
    fd_owner.clear();
    fds.push_back({wake_fd_, POLLIN, 0});
    fd_owner.push_back(SIZE_MAX);
    for (size_t i = 0; i < entries_.size(); ++i) {
      Entry& e = entries_[i];
      if (!e.started) continue;
      int fd = e.sensor->stream_fd();
      if (fd >= 0) {
        fds.push_back({fd, POLLIN, 0});
        fd_owner.push_back(i);
      }
    }
    int64_t wait_ns = std::max<int64_t>(0, next_due - MonotonicNs());
    timespec ts{static_cast<time_t>(wait_ns / 1'000'000'000), static_cast<long>(wait_ns % 1'000'000'000)};
    int n = ppoll(fds.data(), fds.size(), &ts, nullptr);
    if (n > 0) {
      const int64_t t = MonotonicNs();
      for (size_t k = 1; k < fds.size(); ++k) {
        if (fds[k].revents & (POLLIN | POLLHUP | POLLERR)) ReadOne(entries_[fd_owner[k]], t);
      }
      if (fds[0].revents & POLLIN) {
        uint64_t v;
        if (read(wake_fd_, &v, sizeof(v)) < 0) {
          // Nothing to do: the stop flag is what ends the loop.
        }
      }
    }
    cpu_ns_ = ThreadCpuNs() - cpu0;
  }
  // A last reading of every polled sensor, so that intervals ending just before Stop()
  // have a sample after them.
  for (size_t i = 0; i < entries_.size(); ++i) {
    Entry& e = entries_[i];
    if (e.started && e.sensor->stream_fd() < 0) ReadOne(e, MonotonicNs());
  }
  cpu_ns_ = ThreadCpuNs() - cpu0;
  end_ns_ = MonotonicNs();
}

}  // namespace edgelm::telemetry
