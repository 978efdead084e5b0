#include "analysis/bandwidth.h"

#include <algorithm>
#include <memory>
#include <new>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/thread_pool.h"

namespace edgelm::analysis {
namespace {

// Four independent accumulators so the loop is bound by loads, not by one add chain.
uint64_t SumSlice(const uint64_t* p, size_t n) {
  uint64_t a = 0, b = 0, c = 0, d = 0;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    a += p[i];
    b += p[i + 1];
    c += p[i + 2];
    d += p[i + 3];
  }
  for (; i < n; ++i) a += p[i];
  return a + b + c + d;
}

}  // namespace

Result<Figure> MeasureReadBandwidth(uint64_t buffer_bytes, int threads, int passes) {
  if (buffer_bytes < (1u << 20)) {
    return InvalidArgumentError("bandwidth buffer of " + std::to_string(buffer_bytes) + " bytes is under 1 MiB");
  }
  if (passes < 1) return InvalidArgumentError("bandwidth passes must be at least 1, found " + std::to_string(passes));
  const int n_threads = threads > 0 ? threads : AvailableCpuCount();
  const size_t n = buffer_bytes / sizeof(uint64_t);
  std::unique_ptr<uint64_t[]> buf(new (std::nothrow) uint64_t[n]);
  if (!buf) return ResourceExhaustedError("cannot allocate " + std::to_string(buffer_bytes) + " bytes for the bandwidth test");
  for (size_t i = 0; i < n; ++i) buf[i] = i;
  std::vector<uint64_t> sums(static_cast<size_t>(n_threads), 0);
  int64_t best_ns = 0;
  for (int pass = 0; pass < passes; ++pass) {
    const int64_t start = MonotonicNs();
    std::vector<std::thread> pool;
    const size_t per = n / static_cast<size_t>(n_threads);
    for (int t = 0; t < n_threads; ++t) {
      const size_t begin = per * static_cast<size_t>(t);
      const size_t count = t == n_threads - 1 ? n - begin : per;
      pool.emplace_back([&, t, begin, count] { sums[static_cast<size_t>(t)] += SumSlice(buf.get() + begin, count); });
    }
    for (auto& th : pool) th.join();
    const int64_t ns = MonotonicNs() - start;
    if (passes > 1 && pass == 0) continue;  // page faults and thread start-up
    if (best_ns == 0 || ns < best_ns) best_ns = ns;
  }
  uint64_t check = 0;
  for (uint64_t s : sums) check += s;
  // The sum of 0..n-1 over `counted` passes: using it keeps the loads from being elided.
  if (check == 0 && n > 1) return InternalError("bandwidth test summed to zero");
  Figure f;
  f.value = static_cast<double>(n * sizeof(uint64_t)) / (static_cast<double>(std::max<int64_t>(best_ns, 1)) * 1e-9);
  f.provenance = Provenance::kMeasured;
  f.source = "edgelm read-bandwidth test: " + std::to_string(n_threads) + " threads summing " +
             std::to_string(buffer_bytes >> 20) + " MiB, best of " + std::to_string(std::max(1, passes - 1)) +
             " passes (sustained, not peak)";
  return f;
}

}  // namespace edgelm::analysis
