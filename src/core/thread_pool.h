// The engine's thread pool: one per engine context, passed by reference.
//
// Goals: low per-operation overhead (a forward pass issues hundreds of parallel
// operations per token, so workers spin briefly before sleeping on a futex and threads
// are never created per operation); deterministic partitioning (ranges split into
// contiguous chunks by thread index, so work is divided by output rows and results do
// not depend on the thread count); no stall when a worker is descheduled (a machine
// shared with other work): the `thread_index` passed to a job is a chunk index, each
// claimed exactly once, and the caller, once done with chunk 0, claims the chunks no
// worker has started, instead of waiting a scheduler time slice for them. A job must
// therefore use thread_index only to pick its chunk and per-chunk scratch (which is what
// ParallelFor and the engine do), never thread-local state. Non-goals: work stealing
// within a chunk, nested parallelism.
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

  // Runs fn(thread_index, n_threads) once for every thread_index in [0, n_threads) and
  // returns when all have finished; index 0 runs on the caller, the others on whichever
  // thread claims them first (usually worker i).
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
  // Claims the next chunk of operation `gen`; -1 when none is left or the operation is over.
  int ClaimChunk(uint32_t gen);
  void RunChunks(uint32_t gen);

  const std::function<void(int, int)>* job_ = nullptr;
  std::atomic<uint64_t> generation_{0};
  // (generation << 32) | next unclaimed chunk: a claim made for an operation that has
  // already returned fails, so a late worker never touches a finished job.
  std::atomic<uint64_t> next_chunk_{0};
  std::atomic<int> pending_{0};  // chunks 1..n-1 not yet finished
  std::atomic<bool> stop_{false};
  std::atomic<int> spin_iterations_{1 << 14};
};

// Number of CPUs this process may run on (sched_getaffinity), at least 1.
int AvailableCpuCount();

// Parses a CPU list such as "0-3,6" into CPU indices; an error names the bad part.
Result<std::vector<int>> ParseCpuList(const std::string& text);

}  // namespace edgelm
