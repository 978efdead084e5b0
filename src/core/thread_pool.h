// The engine's thread pool: one per engine context, passed by reference.
//
// Goals: low per-operation overhead (a forward pass issues hundreds of parallel
// operations per token, so workers spin briefly before sleeping on a futex and threads
// are never created per operation); deterministic partitioning (ranges split into
// contiguous chunks by thread index, so work is divided by output rows and results do
// not depend on the thread count). Non-goals: work stealing, nested parallelism.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include "core/status.h"

namespace edgelm {

class ThreadPool {
 public:
  // n_threads counts the calling thread, which takes part as thread 0.
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Runs fn(thread_index, n_threads) once on every thread and returns when all finished.
  void Run(const std::function<void(int thread_index, int n_threads)>& fn);

  // Splits [0, n) into size() contiguous chunks (multiples of `grain` where possible) and
  // runs fn(begin, end) on each non-empty chunk.
  template <typename Fn>
  void ParallelFor(int64_t n, int64_t grain, Fn&& fn) {
    if (n <= 0) return;
    if (n_threads_ == 1 || n <= grain) {
      fn(int64_t{0}, n);
      return;
    }
    Run([&](int ith, int nth) {
      auto [begin, end] = ChunkRange(n, grain, ith, nth);
      if (begin < end) fn(begin, end);
    });
  }

  // The chunk of [0, n) that thread ith of nth handles; chunk bounds are multiples of
  // grain (except the last end), so a SIMD kernel can process whole groups.
  static std::pair<int64_t, int64_t> ChunkRange(int64_t n, int64_t grain, int ith, int nth);

  // Pins worker threads (and the caller, as thread 0) to the given CPUs, round-robin.
  Status SetAffinity(const std::vector<int>& cpus);

  // How many spin iterations a worker does before sleeping; 0 sleeps at once
  // (useful when measuring on an oversubscribed machine).
  void set_spin_iterations(int n) { spin_iterations_.store(n, std::memory_order_relaxed); }

 private:
  void WorkerLoop(int index);

  int n_threads_;
  std::vector<std::thread> workers_;
  const std::function<void(int, int)>* job_ = nullptr;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  std::atomic<int> spin_iterations_{1 << 14};
};

// Number of CPUs this process may run on (sched_getaffinity), at least 1.
int AvailableCpuCount();

// Parses a CPU list such as "0-3,6" into CPU indices; an error names the bad part.
Result<std::vector<int>> ParseCpuList(const std::string& text);

}  // namespace edgelm
