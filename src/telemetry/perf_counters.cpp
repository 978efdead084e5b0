#include "telemetry/perf_counters.h"

#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace edgelm::telemetry {
namespace {

struct EventSpec {
  const char* name;
  uint64_t config;
};
constexpr EventSpec kEvents[] = {
    {"cycles", PERF_COUNT_HW_CPU_CYCLES},
    {"instructions", PERF_COUNT_HW_INSTRUCTIONS},
    {"cache-references", PERF_COUNT_HW_CACHE_REFERENCES},
    {"cache-misses", PERF_COUNT_HW_CACHE_MISSES},
};

std::string Paranoid() {
  FILE* f = std::fopen("/proc/sys/kernel/perf_event_paranoid", "r");
  if (!f) return "?";
  int v = 0;
  std::string s = std::fscanf(f, "%d", &v) == 1 ? std::to_string(v) : "?";
  std::fclose(f);
  return s;
}

void Explain(int err, CounterStatus* st) {
  st->reason = ErrnoText(err);
  switch (err) {
    case ENOENT:
    case EOPNOTSUPP:
      st->reason += ": the kernel has no PMU driver for this event (typical in VMs without a virtual PMU)";
      st->fix = "run on bare metal, or enable the virtual PMU (KVM: -cpu host,pmu=on; cloud VMs often cannot)";
      break;
    case EACCES:
    case EPERM:
      st->reason += ": refused by perf_event_paranoid=" + Paranoid();
      st->fix = "sudo sysctl kernel.perf_event_paranoid=2 (user-space counting of own process), or grant CAP_PERFMON";
      break;
    case ENODEV:
      st->reason += ": no such PMU on this CPU";
      st->fix = "not available on this hardware";
      break;
    default:
      st->fix = "see perf_event_open(2) for this errno";
  }
}

class PerfCounterSensor : public Sensor {
 public:
  PerfCounterSensor(std::vector<int> fds, std::vector<ChannelInfo> channels)
      : fds_(std::move(fds)), channels_(std::move(channels)) {}
  ~PerfCounterSensor() override {
    for (int fd : fds_) close(fd);
  }
  std::string name() const override { return "perf"; }
  std::string source() const override { return "perf"; }
  std::string coverage() const override { return "hardware events of this process (user space, threads created after open)"; }
  // A read is a cheap syscall; 10 ms resolves phases as short as 30 ms.
  int64_t min_update_interval_ns() const override { return 10'000'000; }
  const std::vector<ChannelInfo>& channels() const override { return channels_; }
  Status Open() override { return Status::Ok(); }
  Status Read(int64_t now_ns, std::vector<Sample>* out) override {
    Sample s;
    s.t_ns = now_ns;
    for (size_t i = 0; i < fds_.size(); ++i) {
      uint64_t v = 0;
      if (read(fds_[i], &v, sizeof(v)) != static_cast<ssize_t>(sizeof(v))) {
        return IoError("reading perf counter " + channels_[i].name + ": " + ErrnoText(errno));
      }
      s.values.push_back(double(v));
    }
    out->push_back(std::move(s));
    return Status::Ok();
  }

 private:
  std::vector<int> fds_;
  std::vector<ChannelInfo> channels_;
};

}  // namespace

std::unique_ptr<Sensor> MakePerfCounterSensor(std::vector<CounterStatus>* statuses) {
  std::vector<int> fds;
  std::vector<ChannelInfo> channels;
  for (const EventSpec& e : kEvents) {
    perf_event_attr attr;
    std::memset(&attr, 0, sizeof(attr));
    attr.size = sizeof(attr);
    attr.type = PERF_TYPE_HARDWARE;
    attr.config = e.config;
    attr.exclude_kernel = 1;  // allowed at perf_event_paranoid 2 (the default)
    attr.exclude_hv = 1;
    attr.inherit = 1;
    CounterStatus st;
    st.name = e.name;
    long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0) {
      Explain(errno, &st);
    } else {
      st.supported = true;
      fds.push_back(static_cast<int>(fd));
      channels.push_back({e.name, Quantity::kEventCounter, "events", 1.0, 0.0, false, "perf_event_open(PERF_TYPE_HARDWARE)"});
    }
    statuses->push_back(st);
  }
  if (fds.empty()) return nullptr;
  return std::make_unique<PerfCounterSensor>(std::move(fds), std::move(channels));
}

}  // namespace edgelm::telemetry
