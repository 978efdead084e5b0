#include "core/thread_pool.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <string>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define EDGELM_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define EDGELM_CPU_RELAX() asm volatile("yield" ::: "memory")
#else
#define EDGELM_CPU_RELAX() ((void)0)
#endif

namespace edgelm {

ThreadPool::ThreadPool(int n_threads) : n_threads_(std::max(1, n_threads)) {
  workers_.reserve(n_threads_ - 1);
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  generation_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::Run(const std::function<void(int, int)>& fn) {
  if (n_threads_ == 1) {
    fn(0, 1);
    return;
  }
  job_ = &fn;
  pending_.store(n_threads_ - 1, std::memory_order_release);
  const uint32_t gen = static_cast<uint32_t>(generation_.load(std::memory_order_relaxed) + 1);
  next_chunk_.store((static_cast<uint64_t>(gen) << 32) | 1u, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  generation_.notify_all();
  fn(0, n_threads_);
  // Chunks no worker has started yet (descheduled, or still waking): run them here.
  RunChunks(gen);
  // Wait for the chunks in flight on workers: they usually finish about when we do, so
  // spin briefly, then sleep on the counter instead of burning the core they need.
  for (int spins = 0; spins < 4096 && pending_.load(std::memory_order_acquire) != 0; ++spins) EDGELM_CPU_RELAX();
  for (int p = pending_.load(std::memory_order_acquire); p != 0; p = pending_.load(std::memory_order_acquire)) {
    pending_.wait(p, std::memory_order_acquire);
  }
  // Close the operation: from here on every claim for `gen` fails.
  next_chunk_.store(static_cast<uint64_t>(gen) << 32 | static_cast<uint32_t>(n_threads_), std::memory_order_release);
  job_ = nullptr;
}

int ThreadPool::ClaimChunk(uint32_t gen) {
  uint64_t cur = next_chunk_.load(std::memory_order_acquire);
  for (;;) {
    if (static_cast<uint32_t>(cur >> 32) != gen) return -1;
    const auto chunk = static_cast<uint32_t>(cur);
    if (chunk >= static_cast<uint32_t>(n_threads_)) return -1;
    if (next_chunk_.compare_exchange_weak(cur, cur + 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
      return static_cast<int>(chunk);
    }
  }
}

void ThreadPool::RunChunks(uint32_t gen) {
  // A successful claim keeps the operation (and job_) alive: Run returns only after
  // pending_ reaches 0, which needs this chunk's decrement.
  for (int c = ClaimChunk(gen); c >= 0; c = ClaimChunk(gen)) {
    (*job_)(c, n_threads_);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) pending_.notify_one();
  }
}

void ThreadPool::WorkerLoop(int /*index*/) {
  uint64_t seen = 0;
  for (;;) {
    // Spin a while for the next operation, then sleep on the generation counter.
    uint64_t gen = generation_.load(std::memory_order_acquire);
    const int max_spins = spin_iterations_.load(std::memory_order_relaxed);
    for (int s = 0; gen == seen && s < max_spins; ++s) {
      EDGELM_CPU_RELAX();
      gen = generation_.load(std::memory_order_acquire);
    }
    while (gen == seen) {
      generation_.wait(seen, std::memory_order_acquire);
      gen = generation_.load(std::memory_order_acquire);
    }
    seen = gen;
    if (stop_.load(std::memory_order_acquire)) return;
    RunChunks(static_cast<uint32_t>(gen));
  }
}

std::pair<int64_t, int64_t> ThreadPool::ChunkRange(int64_t n, int64_t grain, int ith, int nth) {
  if (grain < 1) grain = 1;
  const int64_t groups = (n + grain - 1) / grain;
  const int64_t per = groups / nth;
  const int64_t extra = groups % nth;
  // The first `extra` threads take one group more.
  const int64_t g_begin = ith * per + std::min<int64_t>(ith, extra);
  const int64_t g_end = g_begin + per + (ith < extra ? 1 : 0);
  return {std::min(n, g_begin * grain), std::min(n, g_end * grain)};
}

Status ThreadPool::SetAffinity(const std::vector<int>& cpus) {
  if (cpus.empty()) return Status::Ok();
  auto pin = [&](pthread_t handle, int cpu) -> Status {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    int rc = pthread_setaffinity_np(handle, sizeof(set), &set);
    if (rc != 0) return InvalidArgumentError("cannot pin a thread to CPU " + std::to_string(cpu) + ": " + ErrnoText(rc));
    return Status::Ok();
  };
  EDGELM_RETURN_IF_ERROR(pin(pthread_self(), cpus[0]));
  for (size_t i = 0; i < workers_.size(); ++i) {
    EDGELM_RETURN_IF_ERROR(pin(workers_[i].native_handle(), cpus[(i + 1) % cpus.size()]));
  }
  return Status::Ok();
}

int AvailableCpuCount() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

Result<std::vector<int>> ParseCpuList(const std::string& text) {
  std::vector<int> cpus;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string part = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    auto bad = [&] { return InvalidArgumentError("bad CPU list '" + text + "' at '" + part + "' (expected e.g. 0-3,6)"); };
    if (part.empty()) return bad();
    size_t dash = part.find('-');
    try {
      size_t used = 0;
      int a = std::stoi(part.substr(0, dash), &used);
      if (used != (dash == std::string::npos ? part.size() : dash) || a < 0) return bad();
      int b = a;
      if (dash != std::string::npos) {
        std::string rest = part.substr(dash + 1);
        b = std::stoi(rest, &used);
        if (used != rest.size() || b < a) return bad();
      }
      if (b >= CPU_SETSIZE) return bad();
      for (int c = a; c <= b; ++c) cpus.push_back(c);
    } catch (...) {
      return bad();
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return cpus;
}

}  // namespace edgelm
