// Properties the engine guarantees beyond matching the references: bit-identical logits
// for any thread count and batch split, decode equal to prefill, and SIMD paths within
// each type's tolerance of the scalar kernels.
#include <gtest/gtest.h>

#include <cstring>

#include "core/cpu_features.h"
#include "golden/golden_util.h"

namespace edgelm::golden {
namespace {

std::unique_ptr<Model> Load(const std::string& stem, const std::string& type) {
  LoadOptions lo;
  lo.path = kRefDir + "/" + stem + "/" + stem + "-" + type + ".gguf";
  lo.prefault = false;
  auto m = Model::Load(lo);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? std::move(m).value() : nullptr;
}

std::vector<float> Logits(const Model& model, const std::vector<int32_t>& ids, int threads, const std::string& isa,
                          uint32_t n_batch = 512, KvCacheType kv = KvCacheType::kF32) {
  SessionOptions so;
  so.n_ctx = 256;
  so.n_threads = threads;
  so.isa = isa;
  so.n_batch = n_batch;
  so.kv_type = kv;
  auto s = model.NewSession(so);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return {};
  Status st = (*s)->Prefill(ids, true);
  EXPECT_TRUE(st.ok()) << st.ToString();
  std::vector<float> out;
  for (int r = 0; st.ok() && r < (*s)->n_logit_rows(); ++r) {
    auto row = (*s)->Logits(r);
    out.insert(out.end(), row.begin(), row.end());
  }
  return out;
}

bool BitIdentical(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

class ConsistencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveReferences()) GTEST_SKIP() << "reference fixtures absent: " << kRefDir;
    // seqA: 16 tokens keep the multi-thread runs short on a loaded CI machine.
    ids_ = ReadIds(kRefDir + "/ref-llama-gqa-tied/seqA.txt");
    ASSERT_EQ(ids_.size(), 16u);
  }
  std::vector<int32_t> ids_;
};

TEST_F(ConsistencyTest, ThreadCountDoesNotChangeLogits) {
  for (const char* type : {"F32", "Q4_K_S", "Q8_0"}) {
    SCOPED_TRACE(type);
    auto model = Load("ref-llama-gqa-tied", type);
    ASSERT_NE(model, nullptr);
    const std::vector<float> one = Logits(*model, ids_, 1, "auto");
    ASSERT_FALSE(one.empty());
    EXPECT_TRUE(BitIdentical(one, Logits(*model, ids_, 2, "auto")));
    EXPECT_TRUE(BitIdentical(one, Logits(*model, ids_, 3, "auto")));
  }
}

TEST_F(ConsistencyTest, BatchSplitDoesNotChangeLogits) {
  auto model = Load("ref-qwen2", "Q6_K");
  ASSERT_NE(model, nullptr);
  const std::vector<float> whole = Logits(*model, ids_, 1, "auto");
  ASSERT_FALSE(whole.empty());
  EXPECT_TRUE(BitIdentical(whole, Logits(*model, ids_, 1, "auto", 7)));
  EXPECT_TRUE(BitIdentical(whole, Logits(*model, ids_, 1, "auto", 1)));
}

TEST_F(ConsistencyTest, DecodeEqualsPrefill) {
  auto model = Load("ref-llama-mha", "F32");
  ASSERT_NE(model, nullptr);
  const std::vector<float> batched = Logits(*model, ids_, 1, "auto");
  SessionOptions so;
  so.n_ctx = 128;
  so.n_threads = 1;
  so.kv_type = KvCacheType::kF32;
  auto s = model->NewSession(so);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const int n_vocab = static_cast<int>(model->info().n_vocab);
  for (size_t i = 0; i < ids_.size(); ++i) {
    ASSERT_TRUE((*s)->Decode(ids_[i]).ok());
    auto row = (*s)->Logits();
    ASSERT_EQ(row.size(), static_cast<size_t>(n_vocab));
    EXPECT_EQ(std::memcmp(row.data(), batched.data() + i * n_vocab, n_vocab * sizeof(float)), 0) << "position " << i;
  }
  EXPECT_EQ((*s)->n_past(), ids_.size());
  ASSERT_EQ((*s)->events().size(), ids_.size());
  EXPECT_EQ((*s)->events().back().kind, PhaseEvent::kDecode);
  EXPECT_EQ((*s)->events().back().n_past, ids_.size() - 1);
}

TEST_F(ConsistencyTest, TruncateReusesPrefix) {
  auto model = Load("ref-llama-gqa-tied", "F32");
  ASSERT_NE(model, nullptr);
  SessionOptions so;
  so.n_ctx = 128;
  so.n_threads = 1;
  auto s = model->NewSession(so);
  ASSERT_TRUE(s.ok());
  std::vector<int32_t> prefix(ids_.begin(), ids_.begin() + 10);
  std::vector<int32_t> tail_a(ids_.begin() + 10, ids_.end());
  std::vector<int32_t> tail_b(ids_.rbegin(), ids_.rbegin() + 5);
  ASSERT_TRUE((*s)->Prefill(prefix).ok());
  ASSERT_TRUE((*s)->Prefill(tail_b).ok());
  auto last_b = (*s)->Logits();
  std::vector<float> b_logits(last_b.begin(), last_b.end());
  ASSERT_TRUE((*s)->TruncateTo(10).ok());
  EXPECT_EQ((*s)->n_past(), 10u);
  ASSERT_TRUE((*s)->Prefill(tail_a).ok());
  ASSERT_TRUE((*s)->TruncateTo(10).ok());
  ASSERT_TRUE((*s)->Prefill(tail_b).ok());
  auto again = (*s)->Logits();
  EXPECT_EQ(std::memcmp(again.data(), b_logits.data(), b_logits.size() * sizeof(float)), 0);
  EXPECT_FALSE((*s)->TruncateTo(1000).ok());
}

TEST_F(ConsistencyTest, SimdPathsAgreeWithScalar) {
  const Isa best = BestIsa(DetectCpuFeatures());
  if (best == Isa::kScalar) GTEST_SKIP() << "no SIMD path on this CPU";
  const std::vector<int32_t> ids = ReadIds(kRefDir + "/ref-llama-gqa-tied/seqA.txt");
  for (const char* type : {"F32", "F16", "Q8_0", "Q4_0", "Q4_K_S", "Q5_K_S", "Q6_K"}) {
    SCOPED_TRACE(type);
    auto model = Load("ref-llama-gqa-tied", type);
    ASSERT_NE(model, nullptr);
    const std::vector<float> scalar = Logits(*model, ids, 1, "scalar");
    const std::vector<float> simd = Logits(*model, ids, 1, IsaName(best));
    ASSERT_EQ(scalar.size(), simd.size());
    ASSERT_FALSE(scalar.empty());
    const Tolerance tol = ToleranceFor(type);
    const Comparison cmp = Compare(simd, scalar, static_cast<int>(model->info().n_vocab), tol);
    std::cout << "[isa] " << type << " scalar vs " << IsaName(best) << " max_abs=" << cmp.max_abs << " rms=" << cmp.rms
              << "\n";
    EXPECT_LE(cmp.max_abs, tol.max_abs);
    EXPECT_LE(cmp.rms, tol.rms);
  }
}

}  // namespace
}  // namespace edgelm::golden
