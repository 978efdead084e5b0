#include "core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <numeric>

namespace edgelm {
namespace {

TEST(ThreadPoolTest, ChunkRangeCoversEveryIndexOnceInGrainMultiples) {
  for (int64_t n : {1, 7, 31, 32, 33, 100, 1000, 4097}) {
    for (int64_t grain : {1, 4, 32}) {
      for (int nth = 1; nth <= 5; ++nth) {
        int64_t expected_begin = 0;
        for (int ith = 0; ith < nth; ++ith) {
          auto [b, e] = ThreadPool::ChunkRange(n, grain, ith, nth);
          ASSERT_EQ(b, expected_begin) << "n=" << n << " grain=" << grain << " nth=" << nth;
          ASSERT_LE(b, e);
          if (e < n) {
            ASSERT_EQ(e % grain, 0);
          }
          expected_begin = e;
        }
        ASSERT_EQ(expected_begin, n);
      }
    }
  }
}

TEST(ThreadPoolTest, RunCallsEveryThreadOnceManyTimes) {
  for (int n_threads : {1, 2, 3, 4}) {
    ThreadPool pool(n_threads);
    ASSERT_EQ(pool.size(), n_threads);
    for (int iter = 0; iter < 300; ++iter) {
      std::atomic<int> mask{0};
      pool.Run([&](int ith, int nth) {
        ASSERT_EQ(nth, n_threads);
        mask.fetch_or(1 << ith);
      });
      ASSERT_EQ(mask.load(), (1 << n_threads) - 1) << "iteration " << iter;
    }
  }
}

// More threads than CPUs and no spinning: workers are often descheduled, and the caller
// then runs their chunks. Every index must still run exactly once per Run, never twice,
// and never for an operation that has already returned.
TEST(ThreadPoolTest, OversubscribedRunsEveryChunkExactlyOnce) {
  ThreadPool pool(8);
  pool.set_spin_iterations(0);
  for (int iter = 0; iter < 2000; ++iter) {
    std::atomic<int> counts[8] = {};
    pool.Run([&](int ith, int nth) {
      ASSERT_EQ(nth, 8);
      counts[ith].fetch_add(1);
    });
    for (int i = 0; i < 8; ++i) ASSERT_EQ(counts[i].load(), 1) << "index " << i << " iteration " << iter;
  }
}

TEST(ThreadPoolTest, ParallelForSumsLikeSerial) {
  std::vector<int64_t> v(100003);
  std::iota(v.begin(), v.end(), 0);
  ThreadPool pool(3);
  pool.set_spin_iterations(0);  // exercise the sleeping path too
  std::vector<int64_t> partial(3, 0);
  std::atomic<int64_t> total{0};
  pool.ParallelFor(static_cast<int64_t>(v.size()), 16, [&](int64_t b, int64_t e) {
    int64_t s = 0;
    for (int64_t i = b; i < e; ++i) s += v[i];
    total += s;
  });
  EXPECT_EQ(total.load(), static_cast<int64_t>(v.size()) * (v.size() - 1) / 2);
}

TEST(ThreadPoolTest, ParseCpuList) {
  auto r = ParseCpuList("0-3,6");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (std::vector<int>{0, 1, 2, 3, 6}));
  EXPECT_FALSE(ParseCpuList("").ok());
  EXPECT_FALSE(ParseCpuList("3-1").ok());
  EXPECT_FALSE(ParseCpuList("a").ok());
  EXPECT_FALSE(ParseCpuList("1,,2").ok());
  EXPECT_FALSE(ParseCpuList("1x").ok());
  EXPECT_GE(AvailableCpuCount(), 1);
}

TEST(ThreadPoolTest, AffinityToCpuZeroWorks) {
  ThreadPool pool(2);
  EXPECT_TRUE(pool.SetAffinity({0}).ok());
  EXPECT_FALSE(pool.SetAffinity({100000}).ok());
}

}  // namespace
}  // namespace edgelm
