// MatMul: the same bits for any thread count, the same as calling vec_dot row by row,
// and SIMD paths within tolerance of the scalar path, for decode and prefill shapes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "kernels/matmul.h"
#include "simd_test_util.h"

namespace edgelm {
namespace {

using testing::DotTolerance;
using testing::IsaParamName;
using testing::FloatTerms;
using testing::PrepareAct;
using testing::RandomFloats;
using testing::RandomRows;

class MatMulSimd : public testing::IsaTest {};

struct Problem {
  GgmlType type;
  int64_t n_in;
  std::vector<uint8_t> w;
  std::vector<float> w_f32;  // dequantized, for the tolerance bound
  WeightView view;
};

constexpr int64_t kNOut = 37;  // not a multiple of any grain or tile

Problem MakeProblem(const KernelTable& scalar, GgmlType type, int64_t n_in, std::mt19937& rng) {
  Problem p;
  p.type = type;
  p.n_in = n_in;
  p.w = RandomRows(type, n_in, kNOut, rng);
  const uint64_t row_bytes = *GgmlRowBytes(type, static_cast<uint64_t>(n_in));
  p.w_f32.resize(static_cast<size_t>(n_in * kNOut));
  for (int64_t r = 0; r < kNOut; ++r) {
    scalar.For(type).dequantize(p.w.data() + r * row_bytes, p.w_f32.data() + r * n_in, n_in);
  }
  p.view = WeightView{type, p.w.data(), n_in, kNOut, row_bytes};
  return p;
}

// Row lengths: a K-quant super-block multiple for every block type, and an odd length for
// the plain float types.
std::vector<int64_t> InputLengths(GgmlType type) {
  if (FindGgmlTypeInfo(type)->block_size == 1) return {37, 512};
  return {512};
}

std::vector<GgmlType> SupportedTypes(const KernelTable& table) {
  std::vector<GgmlType> out;
  for (uint32_t id = 0; id < kMaxGgmlTypeId; ++id) {
    if (table.types[id].supported) out.push_back(static_cast<GgmlType>(id));
  }
  return out;
}

TEST_P(MatMulSimd, BitIdenticalForOneTwoThreeThreads) {
  const KernelTable scalar = MakeKernelTable(Isa::kScalar);
  ThreadPool pools[3] = {ThreadPool(1), ThreadPool(2), ThreadPool(3)};
  for (auto& p : pools) p.set_spin_iterations(0);  // CI machines are oversubscribed
  std::mt19937 rng(7);
  const Isa isa = GetParam();
  const KernelTable table = MakeKernelTable(isa);
  for (GgmlType type : SupportedTypes(scalar)) {
    for (int64_t n_in : InputLengths(type)) {
      const Problem p = MakeProblem(scalar, type, n_in, rng);
      for (int64_t n_tokens : {1, 3, 17}) {
        const auto x = RandomFloats(n_in * n_tokens, rng);
        std::vector<float> y[3];
        MatMulScratch scratch;
        for (int i = 0; i < 3; ++i) {
          y[i].assign(static_cast<size_t>(kNOut * n_tokens), NAN);
          MatMul(table, pools[i], p.view, x.data(), n_tokens, y[i].data(), scratch);
        }
        for (int i = 1; i < 3; ++i) {
          EXPECT_EQ(0, std::memcmp(y[0].data(), y[i].data(), y[0].size() * sizeof(float)))
              << IsaName(isa) << " " << GgmlTypeName(type) << " n_in=" << n_in
              << " n_tokens=" << n_tokens << ": " << (i + 1) << " threads differ from 1";
        }
        // Each output is exactly one vec_dot of the prepared activation row.
        const TypeKernels& k = table.For(type);
        for (int64_t t = 0; t < n_tokens; ++t) {
          const auto act = PrepareAct(k, x.data() + t * n_in, n_in);
          for (int64_t r = 0; r < kNOut; ++r) {
            float want = 0.0f;
            k.vec_dot(n_in, p.w.data() + r * p.view.row_bytes, act.data(), &want);
            ASSERT_EQ(std::memcmp(&want, &y[0][t * kNOut + r], 4), 0)
                << IsaName(isa) << " " << GgmlTypeName(type) << " t=" << t << " r=" << r
                << ": MatMul " << y[0][t * kNOut + r] << " vs vec_dot " << want;
          }
        }
      }
    }
  }
}

TEST_P(MatMulSimd, WithinToleranceOfScalar) {
  const KernelTable scalar = MakeKernelTable(Isa::kScalar);
  ThreadPool pool(2);
  pool.set_spin_iterations(0);
  std::mt19937 rng(11);
  const Isa isa = GetParam();
  const KernelTable table = MakeKernelTable(isa);
  for (GgmlType type : SupportedTypes(scalar)) {
    for (int64_t n_in : InputLengths(type)) {
      const Problem p = MakeProblem(scalar, type, n_in, rng);
      for (int64_t n_tokens : {1, 3, 17}) {
        const auto x = RandomFloats(n_in * n_tokens, rng);
        std::vector<float> want(static_cast<size_t>(kNOut * n_tokens));
        std::vector<float> got(want.size());
        MatMulScratch scratch;
        MatMul(scalar, pool, p.view, x.data(), n_tokens, want.data(), scratch);
        MatMul(table, pool, p.view, x.data(), n_tokens, got.data(), scratch);
        double worst_ratio = 0.0;
        int64_t worst_t = 0, worst_r = 0;
        double worst_tol = 0.0;
        for (int64_t t = 0; t < n_tokens; ++t) {
          for (int64_t r = 0; r < kNOut; ++r) {
            double bound = 0.0;
            for (int64_t i = 0; i < n_in; ++i) {
              bound += std::fabs(static_cast<double>(p.w_f32[r * n_in + i]) * x[t * n_in + i]);
            }
            const double tol = DotTolerance(bound * 1.02, FloatTerms(type, n_in));
            const double err = std::fabs(static_cast<double>(got[t * kNOut + r]) - want[t * kNOut + r]);
            const double ratio = std::isfinite(got[t * kNOut + r]) ? err / tol : INFINITY;
            if (ratio > worst_ratio) {
              worst_ratio = ratio;
              worst_t = t;
              worst_r = r;
              worst_tol = tol;
            }
          }
        }
        EXPECT_LE(worst_ratio, 1.0) << IsaName(isa) << " " << GgmlTypeName(type) << " n_in=" << n_in
                                    << " n_tokens=" << n_tokens << " worst at token " << worst_t
                                    << " row " << worst_r << ": simd " << got[worst_t * kNOut + worst_r]
                                    << " scalar " << want[worst_t * kNOut + worst_r] << " tol " << worst_tol;
      }
    }
  }
}

TEST_P(MatMulSimd, ScratchIsReusedAcrossShapesAndNothingWrittenForZeroTokens) {
  const KernelTable table = MakeKernelTable(GetParam());
  const KernelTable scalar = MakeKernelTable(Isa::kScalar);
  ThreadPool pool(2);
  pool.set_spin_iterations(0);
  std::mt19937 rng(5);
  MatMulScratch scratch;
  const Problem big = MakeProblem(scalar, GgmlType::kQ8_0, 1024, rng);
  const Problem small = MakeProblem(scalar, GgmlType::kQ8_0, 256, rng);
  const auto x = RandomFloats(1024 * 4, rng);
  std::vector<float> y(kNOut * 4);
  MatMul(table, pool, big.view, x.data(), 4, y.data(), scratch);
  const uint64_t capacity = scratch.capacity_bytes();
  EXPECT_GE(capacity, 4u * (1024 / 32) * sizeof(BlockQ8_0));
  std::vector<float> y_small(kNOut * 4), y_fresh(kNOut * 4);
  MatMul(table, pool, small.view, x.data(), 4, y_small.data(), scratch);
  EXPECT_EQ(scratch.capacity_bytes(), capacity);  // no reallocation for a smaller shape
  MatMulScratch fresh;
  MatMul(table, pool, small.view, x.data(), 4, y_fresh.data(), fresh);
  EXPECT_EQ(0, std::memcmp(y_small.data(), y_fresh.data(), y_small.size() * sizeof(float)));
  std::vector<float> untouched(kNOut, 42.0f);
  MatMul(table, pool, small.view, x.data(), 0, untouched.data(), scratch);
  for (float v : untouched) EXPECT_EQ(v, 42.0f);
}

INSTANTIATE_TEST_SUITE_P(simd, MatMulSimd, ::testing::ValuesIn(AvailableIsas(DetectCpuFeatures())),
                         IsaParamName);

}  // namespace
}  // namespace edgelm
