// Every SIMD kernel against its scalar twin, for every ISA path this CPU runs: vec_dot
// on odd sizes with random bits (tolerance from float epsilon and the inputs' norm,
// worst case printed on failure), and the activation quantizers byte for byte.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "kernels/matmul.h"
#include "kernels/simd_fill.h"
#include "simd_test_util.h"

namespace edgelm {
namespace {

using testing::DotTolerance;
using testing::IsaParamName;
using testing::FloatTerms;
using testing::PrepareAct;
using testing::RandomFloats;
using testing::RandomRows;

class SimdKernels : public testing::IsaTest {};

std::vector<GgmlType> SupportedTypes(const KernelTable& table) {
  std::vector<GgmlType> out;
  for (uint32_t id = 0; id < kMaxGgmlTypeId; ++id) {
    if (table.types[id].supported) out.push_back(static_cast<GgmlType>(id));
  }
  return out;
}

// Row lengths to try: odd block counts for block types, odd element counts (which
// exercise every tail path) for the plain float types.
std::vector<int64_t> TestLengths(GgmlType type) {
  const int64_t block = FindGgmlTypeInfo(type)->block_size;
  if (block == 1) return {1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 63, 64, 100, 1057};
  std::vector<int64_t> out;
  for (int64_t nb : {1, 2, 3, 4, 5, 7, 33}) out.push_back(nb * block);
  return out;
}

TEST_P(SimdKernels, TablesCoverTheSameTypesAsScalar) {
  const KernelTable scalar = MakeKernelTable(Isa::kScalar);
  EXPECT_FALSE(SupportedTypes(scalar).empty());
  const Isa isa = GetParam();
  const KernelTable t = MakeKernelTable(isa);
  EXPECT_EQ(t.isa, isa);
  for (uint32_t id = 0; id < kMaxGgmlTypeId; ++id) {
    SCOPED_TRACE(std::string(IsaName(isa)) + " " + GgmlTypeName(id));
    EXPECT_EQ(t.types[id].supported, scalar.types[id].supported);
    if (!scalar.types[id].supported) continue;
    EXPECT_EQ(t.types[id].act_type, scalar.types[id].act_type);
    EXPECT_NE(t.types[id].vec_dot, nullptr);
    EXPECT_NE(t.types[id].dequantize, nullptr);
    if (t.types[id].act_type != GgmlType::kF32) {
      EXPECT_NE(t.types[id].quantize_act, nullptr);
    }
  }
  if (isa == Isa::kScalar) return;
  // Every SIMD path has its own kernels for the hot types (otherwise the comparisons
  // below would compare the scalar kernels with themselves).
  for (GgmlType hot : {GgmlType::kF32, GgmlType::kF16, GgmlType::kQ8_0, GgmlType::kQ4_0,
                       GgmlType::kQ4_K, GgmlType::kQ6_K}) {
    EXPECT_NE(t.For(hot).vec_dot, scalar.For(hot).vec_dot) << IsaName(isa) << " " << GgmlTypeName(hot);
  }
}

// Every supported type's vec_dot of `simd` against the scalar one; `label` names the path.
void ExpectVecDotMatchesScalar(const KernelTable& scalar, const KernelTable& simd, const std::string& label) {
  std::mt19937 rng(1234);
  for (GgmlType type : SupportedTypes(scalar)) {
    const TypeKernels& ks = scalar.For(type);
    const TypeKernels& kv = simd.For(type);
    double worst_ratio = 0.0;
    std::string worst;
    int cases = 0;
    for (int64_t n : TestLengths(type)) {
      for (int rep = 0; rep < 3; ++rep) {
        const auto w = RandomRows(type, n, 1, rng);
        const auto x = RandomFloats(n, rng, rep == 2 ? 100.0f : 1.0f);
        const auto act = PrepareAct(ks, x.data(), n);
        // Rows that are not 32-byte aligned (a Q4_0 row starts at any even offset in a
        // model file), keeping the fields' natural alignment (2 bytes for the f16-scaled
        // blocks and F16/BF16, 4 for F32 and the Q8_K activations).
        const size_t w_off = type == GgmlType::kF32 ? 4 : 2, a_off = 4;
        std::vector<uint8_t> wbuf(w.size() + w_off), abuf(act.size() + a_off);
        std::memcpy(wbuf.data() + w_off, w.data(), w.size());
        std::memcpy(abuf.data() + a_off, act.data(), act.size());
        std::vector<float> wf(static_cast<size_t>(n));
        ks.dequantize(w.data(), wf.data(), n);
        double bound = 0.0;
        for (int64_t i = 0; i < n; ++i) bound += std::fabs(static_cast<double>(wf[i]) * x[i]);
        bound *= 1.02;  // x is the activation before quantization (error <= 1/127 each)
        float want = 0.0f, got = 0.0f;
        ks.vec_dot(n, w.data(), act.data(), &want);
        kv.vec_dot(n, wbuf.data() + w_off, abuf.data() + a_off, &got);
        const double tol = DotTolerance(bound, FloatTerms(type, n));
        const double err = std::fabs(static_cast<double>(got) - want);
        const double ratio = std::isfinite(got) ? err / tol : INFINITY;
        ++cases;
        if (ratio > worst_ratio || !(ratio == ratio)) {
          worst_ratio = ratio;
          char buf[256];
          std::snprintf(buf, sizeof(buf), "n=%lld rep=%d simd=%.9g scalar=%.9g |err|=%.3g tol=%.3g",
                        static_cast<long long>(n), rep, got, want, err, tol);
          worst = buf;
        }
      }
    }
    EXPECT_LE(worst_ratio, 1.0) << label << " " << GgmlTypeName(type) << " worst of " << cases
                                << " cases: " << worst;
  }
}

TEST_P(SimdKernels, VecDotMatchesScalarOnOddSizes) {
  ExpectVecDotMatchesScalar(MakeKernelTable(Isa::kScalar), MakeKernelTable(GetParam()), IsaName(GetParam()));
}

#if defined(__x86_64__)
// The AVX-512 table on a CPU without VNNI and AVX512_BF16: the vpmaddubsw fallbacks of the
// int8 kernels and the AVX2 BF16 kernel, which MakeKernelTable does not pick on a CPU
// that has the extensions.
// Not parametrized: it is about the AVX-512 table alone, and runs wherever the CPU
// can execute AVX-512 code.
TEST(SimdKernelsAvx512, WithoutVnniOrBf16MatchesScalar) {
  const std::vector<Isa> isas = AvailableIsas(DetectCpuFeatures());
  if (std::find(isas.begin(), isas.end(), Isa::kAvx512) == isas.end()) {
    GTEST_SKIP() << "this CPU cannot run the AVX-512 kernels";
  }
  CpuFeatures cpu = DetectCpuFeatures();
  cpu.avx512vnni = false;
  cpu.avx512bf16 = false;
  const KernelTable scalar = MakeKernelTable(Isa::kScalar);
  KernelTable table = scalar;
  FillAvx2Kernels(table);
  FillAvx512Kernels(table, cpu);
  const KernelTable with_vnni = MakeKernelTable(Isa::kAvx512);
  if (DetectCpuFeatures().avx512vnni) {
    EXPECT_NE(table.For(GgmlType::kQ8_0).vec_dot, with_vnni.For(GgmlType::kQ8_0).vec_dot);
  }
  ExpectVecDotMatchesScalar(scalar, table, "avx512 without vnni/bf16");
}
#endif

// Blocks that stress the quantizers: zeros, exact rounding ties, one dominant value of
// either sign, tiny values.
std::vector<float> HardActivations(int64_t n, std::mt19937& rng) {
  std::vector<float> x = RandomFloats(n, rng);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t group = (i / 32) % 6;
    const int64_t j = i % 32;
    if (group == 1) x[i] = 0.0f;
    if (group == 2) x[i] = (j == 0) ? 127.0f : static_cast<float>(j % 8) - 3.5f;  // ties at .5
    if (group == 3) x[i] = (j == 5) ? -1000.0f : x[i];
    if (group == 4) x[i] = (j == 9) ? 1000.0f : x[i] * 1e-3f;
    if (group == 5) x[i] = x[i] * 1e-30f;
  }
  return x;
}

TEST_P(SimdKernels, ActivationQuantizersMatchScalarBytes) {
  const KernelTable scalar = MakeKernelTable(Isa::kScalar);
  std::mt19937 rng(99);
  const Isa isa = GetParam();
  const KernelTable simd = MakeKernelTable(isa);
  for (GgmlType type : SupportedTypes(scalar)) {
    const TypeKernels& ks = scalar.For(type);
    const TypeKernels& kv = simd.For(type);
    if (ks.act_type == GgmlType::kF32) continue;
    const int64_t block = FindGgmlTypeInfo(ks.act_type)->block_size;
    for (int64_t nb : {1, 2, 3, 7, 12, 33}) {
      const int64_t n = nb * (block == 1 ? 37 : block);
      const auto x = HardActivations(n, rng);
      const auto want = PrepareAct(ks, x.data(), n);
      std::vector<float> xbuf(x.size() + 1);  // misaligned source
      std::memcpy(xbuf.data() + 1, x.data(), x.size() * sizeof(float));
      const auto got = PrepareAct(kv, xbuf.data() + 1, n);
      ASSERT_EQ(got.size(), want.size());
      size_t first = 0;
      while (first < got.size() && got[first] == want[first]) ++first;
      EXPECT_EQ(first, got.size()) << IsaName(isa) << " " << GgmlTypeName(type) << " -> "
                                   << GgmlTypeName(ks.act_type) << " n=" << n
                                   << ": first differing byte " << first << " (simd "
                                   << int(got[first < got.size() ? first : 0]) << ", scalar "
                                   << int(want[first < got.size() ? first : 0]) << ")";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(simd, SimdKernels, ::testing::ValuesIn(AvailableIsas(DetectCpuFeatures())),
                         IsaParamName);

}  // namespace
}  // namespace edgelm
