// A BenchTarget decorator that records the time span of every prefill, decode and
// request the runner performs, so the study can ask the telemetry session for the
// energy of exactly those spans. The measured numbers themselves are the wrapped
// target's; nothing is added to the timed region but a vector append after it ends.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "bench/bench_target.h"

namespace edgelm::study {

struct RecordedSpan {
  enum Kind { kPrefill, kDecode, kRequest } kind;
  int64_t start_ns = 0, end_ns = 0;
  int64_t tokens = 0;
};

class SpanLog {
 public:
  void Add(const RecordedSpan& s) {
    std::lock_guard<std::mutex> lock(mu_);
    spans_.push_back(s);
  }
  std::vector<RecordedSpan> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::exchange(spans_, {});
  }

 private:
  std::mutex mu_;
  std::vector<RecordedSpan> spans_;
};

// `inner` and `log` must outlive the returned target.
std::unique_ptr<bench::BenchTarget> MakeRecordingTarget(bench::BenchTarget& inner, SpanLog& log);

}  // namespace edgelm::study
