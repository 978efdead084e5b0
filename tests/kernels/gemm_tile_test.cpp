// Prefill tile kernels (TypeKernels::gemm_tile) and decode tiles (gemv_tile): every value
// bit-identical to vec_dot of the same row and token (odd block counts included, where
// the AVX-512 kernels take the single-block tail; ragged float rows), so that prefill
// through MatMul equals decode token by token for any thread count; and the speed path
// is installed where the ISA has one. Checked for every ISA path of this CPU, and on
// aarch64 with i8mm also for the sdot kernels that the i8mm ones replace there.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "kernels/matmul.h"
#include "kernels/simd_fill.h"
#include "simd_test_util.h"

namespace edgelm {
namespace {

using testing::IsaParamName;
using testing::PrepareAct;
using testing::RandomFloats;
using testing::RandomRows;

class GemmTile : public testing::IsaTest {};

// Row lengths of 1, 2, 3, 5 and many blocks of `type` (odd counts take the AVX-512 tails;
// the longest row is past 4096 elements). Float types: shorter than one 32-element step,
// a step and a group of 8, a few steps and a ragged end, several 512-element chunks
// (the F16 tile's) with a ragged end, and a long row ending in groups of 8.
std::vector<int64_t> RowLengths(GgmlType type) {
  const auto block = static_cast<int64_t>(FindGgmlTypeInfo(type)->block_size);
  if (block == 1) return {7, 40, 100, 1031, 4096 + 24};
  const int64_t many = block >= 256 ? 17 : 129;
  return {block, 2 * block, 3 * block, 5 * block, many * block};
}

std::vector<GgmlType> TiledTypes(const KernelTable& table) {
  std::vector<GgmlType> out;
  for (uint32_t id = 0; id < kMaxGgmlTypeId; ++id) {
    if (table.types[id].supported && table.types[id].gemm_tile != nullptr)
      out.push_back(static_cast<GgmlType>(id));
  }
  return out;
}

void ExpectTileEqualsVecDot(const KernelTable& table, const std::string& label) {
  std::mt19937 rng(21);
  for (GgmlType type : TiledTypes(table)) {
    const TypeKernels& k = table.For(type);
    ASSERT_GT(k.gemm_rows, 0);
    ASSERT_GT(k.gemm_tokens, 0);
    for (int64_t n : RowLengths(type)) {
      const uint64_t row_bytes = *GgmlRowBytes(type, static_cast<uint64_t>(n));
      const auto w = RandomRows(type, n, k.gemm_rows, rng);
      const uint64_t act_bytes = *GgmlRowBytes(k.act_type, static_cast<uint64_t>(n));
      std::vector<uint8_t> act(act_bytes * static_cast<uint64_t>(k.gemm_tokens));
      for (int t = 0; t < k.gemm_tokens; ++t) {
        const auto x = RandomFloats(n, rng, 0.5f + static_cast<float>(t));
        const auto a = PrepareAct(k, x.data(), n);
        std::memcpy(act.data() + t * act_bytes, a.data(), act_bytes);
      }
      const int64_t stride = k.gemm_rows + 3;  // y rows wider than the tile
      std::vector<float> y(static_cast<size_t>(stride * k.gemm_tokens), NAN);
      k.gemm_tile(n, w.data(), row_bytes, act.data(), act_bytes, y.data(), stride);
      for (int t = 0; t < k.gemm_tokens; ++t) {
        for (int r = 0; r < k.gemm_rows; ++r) {
          float want = 0.0f;
          k.vec_dot(n, w.data() + r * row_bytes, act.data() + t * act_bytes, &want);
          const float got = y[t * stride + r];
          EXPECT_EQ(0, std::memcmp(&want, &got, 4))
              << label << " " << GgmlTypeName(type) << " n=" << n << " r=" << r << " t=" << t << ": tile "
              << got << " vec_dot " << want;
        }
        for (int64_t r = k.gemm_rows; r < stride; ++r)
          EXPECT_TRUE(std::isnan(y[t * stride + r])) << label << " " << GgmlTypeName(type) << " wrote outside the tile";
      }
    }
  }
}

void ExpectDecodeTileEqualsVecDot(const KernelTable& table, const std::string& label) {
  std::mt19937 rng(23);
  for (uint32_t id = 0; id < kMaxGgmlTypeId; ++id) {
    const TypeKernels& k = table.types[id];
    if (!k.supported || k.gemv_tile == nullptr) continue;
    const auto type = static_cast<GgmlType>(id);
    for (int64_t n : RowLengths(type)) {
      const uint64_t row_bytes = *GgmlRowBytes(type, static_cast<uint64_t>(n));
      const auto w = RandomRows(type, n, k.gemv_rows, rng);
      const auto x = RandomFloats(n, rng);
      const auto act = PrepareAct(k, x.data(), n);
      std::vector<float> y(static_cast<size_t>(k.gemv_rows + 2), NAN);
      k.gemv_tile(n, w.data(), row_bytes, act.data(), act.size(), y.data(), k.gemv_rows + 2);
      for (int r = 0; r < k.gemv_rows; ++r) {
        float want = 0.0f;
        k.vec_dot(n, w.data() + r * row_bytes, act.data(), &want);
        EXPECT_EQ(0, std::memcmp(&want, &y[r], 4))
            << label << " " << GgmlTypeName(type) << " n=" << n << " r=" << r << ": " << y[r] << " vs " << want;
      }
      EXPECT_TRUE(std::isnan(y[k.gemv_rows])) << label << " " << GgmlTypeName(type) << " wrote outside the rows";
    }
  }
}

void ExpectPrefillEqualsDecode(const KernelTable& table, const std::string& label) {
  ThreadPool pools[3] = {ThreadPool(1), ThreadPool(2), ThreadPool(3)};
  for (auto& p : pools) p.set_spin_iterations(0);
  std::mt19937 rng(5);
  constexpr int64_t kOut = 45;     // ragged against tiles and grains
  constexpr int64_t kTokens = 70;  // crosses MatMul's token block, ragged tail
  for (GgmlType type : TiledTypes(table)) {
    const int64_t n = RowLengths(type)[2];
    const auto w = RandomRows(type, n, kOut, rng);
    const WeightView view{type, w.data(), n, kOut, *GgmlRowBytes(type, static_cast<uint64_t>(n))};
    const auto x = RandomFloats(n * kTokens, rng);
    std::vector<float> decode(static_cast<size_t>(kOut * kTokens));
    MatMulScratch scratch;
    for (int64_t t = 0; t < kTokens; ++t) {
      MatMul(table, pools[0], view, x.data() + t * n, 1, decode.data() + t * kOut, scratch);
    }
    for (auto& pool : pools) {
      std::vector<float> prefill(decode.size(), NAN);
      MatMul(table, pool, view, x.data(), kTokens, prefill.data(), scratch);
      EXPECT_EQ(0, std::memcmp(prefill.data(), decode.data(), decode.size() * sizeof(float)))
          << label << " " << GgmlTypeName(type) << " with " << pool.size() << " threads";
    }
  }
}

TEST_P(GemmTile, TileEqualsVecDotBitForBit) {
  ExpectTileEqualsVecDot(MakeKernelTable(GetParam()), IsaName(GetParam()));
}

TEST_P(GemmTile, DecodeTileEqualsVecDotBitForBit) {
  ExpectDecodeTileEqualsVecDot(MakeKernelTable(GetParam()), IsaName(GetParam()));
}

TEST_P(GemmTile, PrefillEqualsDecodeForAnyThreadCount) {
  ExpectPrefillEqualsDecode(MakeKernelTable(GetParam()), IsaName(GetParam()));
}

#if defined(__aarch64__)
// Where the CPU has i8mm the neon-dot table holds the smmla kernels; the sdot tiles they
// replace (CPUs with dotprod only) are checked on a table built without i8mm.
TEST(GemmTileNeonDot, SdotTilesWithoutI8mm) {
  CpuFeatures cpu = DetectCpuFeatures();
  if (!IsaAvailable(Isa::kNeonDot, cpu)) GTEST_SKIP() << "no dot-product extension on this CPU";
  cpu.i8mm = false;
  KernelTable table = MakeKernelTable(Isa::kScalar);
  FillNeonKernels(table);
  FillNeonDotKernels(table, cpu);
  ASSERT_NE(table.For(GgmlType::kQ8_0).gemm_tile, nullptr);
  ASSERT_NE(table.For(GgmlType::kQ4_0).gemv_tile, nullptr);
  ExpectTileEqualsVecDot(table, "neon-dot without i8mm");
  ExpectDecodeTileEqualsVecDot(table, "neon-dot without i8mm");
  ExpectPrefillEqualsDecode(table, "neon-dot without i8mm");
}
#endif

TEST(GemmTileDispatch, SpeedPathsAreInstalled) {
  const CpuFeatures& cpu = DetectCpuFeatures();
  EXPECT_TRUE(TiledTypes(MakeKernelTable(Isa::kScalar)).empty());
  for (Isa isa : AvailableIsas(cpu)) {
    std::vector<GgmlType> expect;
    if (isa == Isa::kAvx2) {
      expect = {GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ4_K, GgmlType::kQ6_K,
                GgmlType::kF16,  GgmlType::kBF16, GgmlType::kF32};
    } else if (isa == Isa::kAvx512) {
      // F32 runs the 512-bit vec_dot there, without a tile.
      expect = {GgmlType::kF16, GgmlType::kBF16};
      if (cpu.avx512vnni) {
        for (GgmlType t : {GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ5_0, GgmlType::kQ4_K, GgmlType::kQ6_K}) {
          expect.push_back(t);
        }
        // Decode tiles (several rows per activation load, prefetching ahead).
        for (GgmlType t : {GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ5_0}) {
          EXPECT_NE(MakeKernelTable(isa).For(t).gemv_tile, nullptr) << GgmlTypeName(t);
        }
      }
    } else if (isa == Isa::kNeonDot) {
      expect = {GgmlType::kQ8_0, GgmlType::kQ4_0};
    }
    const KernelTable table = MakeKernelTable(isa);
    for (GgmlType type : expect) {
      EXPECT_NE(table.For(type).gemm_tile, nullptr) << IsaName(isa) << " " << GgmlTypeName(type);
    }
    if (isa == Isa::kNeonDot) {
      // With i8mm the smmla kernels replace the sdot ones, and there is no decode tile
      // matching their vec_dot; with dotprod only, the sdot decode tile is installed.
      EXPECT_EQ(table.For(GgmlType::kQ8_0).gemv_tile == nullptr, cpu.i8mm) << "i8mm " << cpu.i8mm;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(simd, GemmTile, ::testing::ValuesIn(AvailableIsas(DetectCpuFeatures())),
                         IsaParamName);

}  // namespace
}  // namespace edgelm
