// The forward pass against llama.cpp's logits and greedy tokens for the reference
// fixtures (three models × seven weight types), with the README's tolerances.
#include <gtest/gtest.h>

#include <cstring>
#include <iostream>

#include "golden/golden_util.h"

namespace edgelm::golden {
namespace {

struct Case {
  std::string stem;
  std::string type;
};

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  std::string s = info.param.stem + "_" + info.param.type;
  for (char& ch : s) {
    if (ch == '-') ch = '_';
  }
  return s;
}

std::vector<Case> AllCases() {
  std::vector<Case> out;
  for (const char* stem : {"ref-llama-mha", "ref-llama-gqa-tied", "ref-qwen2"}) {
    for (const char* type : {"F32", "F16", "Q8_0", "Q4_0", "Q4_K_S", "Q5_K_S", "Q6_K"}) out.push_back({stem, type});
  }
  return out;
}

std::string Prefix(const Case& c) { return kRefDir + "/" + c.stem + "/" + c.stem + "-" + c.type; }

std::unique_ptr<Model> LoadOrFail(const std::string& path) {
  LoadOptions lo;
  lo.path = path;
  lo.prefault = false;
  auto m = Model::Load(lo);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? std::move(m).value() : nullptr;
}

std::unique_ptr<Session> NewSessionOrFail(const Model& model, KvCacheType kv, int threads = 1,
                                          const std::string& isa = "auto") {
  SessionOptions so;
  so.n_ctx = 512;
  so.n_threads = threads;
  so.kv_type = kv;
  so.isa = isa;
  auto s = model.NewSession(so);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

std::vector<float> AllLogits(Session& s, const std::vector<int32_t>& ids) {
  s.Reset();
  Status st = s.Prefill(ids, /*all_logits=*/true);
  EXPECT_TRUE(st.ok()) << st.ToString();
  if (!st.ok()) return {};
  std::vector<float> out;
  for (int r = 0; r < s.n_logit_rows(); ++r) {
    auto row = s.Logits(r);
    out.insert(out.end(), row.begin(), row.end());
  }
  return out;
}

// Prefill, then 16 greedy tokens, each fed alone (the reference's procedure).
std::vector<int32_t> Greedy(Session& s, const std::vector<int32_t>& ids, int n) {
  s.Reset();
  std::vector<int32_t> out;
  Status st = s.Prefill(ids);
  EXPECT_TRUE(st.ok()) << st.ToString();
  while (st.ok() && static_cast<int>(out.size()) < n) {
    out.push_back(Argmax(s.Logits()));
    if (static_cast<int>(out.size()) < n) st = s.Decode(out.back());
  }
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

class GoldenTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    if (!HaveReferences()) GTEST_SKIP() << "reference fixtures absent: " << kRefDir;
  }
};

TEST_P(GoldenTest, LogitsMatchReference) {
  const Case& c = GetParam();
  auto model = LoadOrFail(Prefix(c) + ".gguf");
  ASSERT_NE(model, nullptr);
  auto session = NewSessionOrFail(*model, KvCacheType::kF32);
  ASSERT_NE(session, nullptr);
  const Tolerance tol = ToleranceFor(c.type);
  const int n_vocab = static_cast<int>(model->info().n_vocab);
  int compared = 0;
  for (const char* seq : {"seqA", "seqB"}) {
    const std::string ref_path = Prefix(c) + "." + seq + ".logits.f32";
    if (!std::filesystem::exists(ref_path)) continue;  // seqB logits exist for F32/F16 only
    SCOPED_TRACE(ref_path);
    const std::vector<int32_t> ids = ReadIds(kRefDir + "/" + c.stem + "/" + seq + ".txt");
    const std::vector<float> ref = ReadF32(ref_path);
    ASSERT_EQ(ref.size(), ids.size() * n_vocab);
    const std::vector<float> got = AllLogits(*session, ids);
    ASSERT_EQ(got.size(), ref.size());
    const Comparison cmp = Compare(got, ref, n_vocab, tol);
    std::cout << "[golden] " << c.stem << "-" << c.type << " " << seq << " max_abs=" << cmp.max_abs
              << " rms=" << cmp.rms << " top1=" << cmp.top1_agree << "/" << cmp.rows << "\n";
    EXPECT_LE(cmp.max_abs, tol.max_abs);
    EXPECT_LE(cmp.rms, tol.rms);
    EXPECT_GE(cmp.top1_agree, tol.min_top1_agree * cmp.rows);
    EXPECT_TRUE(cmp.failures.empty()) << cmp.failures;
    ++compared;
  }
  EXPECT_GE(compared, 1);
}

TEST_P(GoldenTest, GreedyMatchesReference) {
  const Case& c = GetParam();
  auto model = LoadOrFail(Prefix(c) + ".gguf");
  ASSERT_NE(model, nullptr);
  auto session = NewSessionOrFail(*model, KvCacheType::kF32);
  ASSERT_NE(session, nullptr);
  static const auto margins = ReadMargins();
  const bool exact = c.type == "F32" || c.type == "F16";
  for (const char* seq : {"seqA", "seqB", "seqC"}) {
    const std::string file = c.stem + "-" + c.type + "." + seq + ".greedy.txt";
    SCOPED_TRACE(file);
    const std::vector<int32_t> expected = ReadIds(kRefDir + "/" + c.stem + "/" + file);
    ASSERT_EQ(expected.size(), 16u);
    const std::vector<int32_t> got = Greedy(*session, ReadIds(kRefDir + "/" + c.stem + "/" + seq + ".txt"), 16);
    ASSERT_EQ(got.size(), 16u);
    if (exact) {
      EXPECT_EQ(got, expected);
      continue;
    }
    // Quantized arithmetic is not bit-identical to llama.cpp's: the sequences may part
    // only at a step whose reference top-1/top-2 gap is a near-tie; after that step the
    // continuations legitimately differ.
    auto it = margins.find(c.stem + "/" + file);
    ASSERT_NE(it, margins.end());
    ASSERT_EQ(it->second.size(), 16u);
    for (size_t i = 0; i < 16; ++i) {
      if (got[i] == expected[i]) continue;
      EXPECT_LT(it->second[i], 0.05) << "greedy step " << i << ": got " << got[i] << ", reference " << expected[i]
                                     << " although the reference margin is " << it->second[i];
      break;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, GoldenTest, ::testing::ValuesIn(AllCases()), CaseName);

// llama.cpp's default F16 KV cache: the kvf16 files.
TEST(GoldenKvF16, F32ModelsMatchF16CacheReference) {
  if (!HaveReferences()) GTEST_SKIP() << "reference fixtures absent: " << kRefDir;
  for (const char* stem : {"ref-llama-mha", "ref-llama-gqa-tied", "ref-qwen2"}) {
    const Case c{stem, "F32"};
    SCOPED_TRACE(stem);
    auto model = LoadOrFail(Prefix(c) + ".gguf");
    ASSERT_NE(model, nullptr);
    auto session = NewSessionOrFail(*model, KvCacheType::kF16);
    ASSERT_NE(session, nullptr);
    const std::vector<int32_t> ids = ReadIds(kRefDir + "/" + c.stem + "/seqA.txt");
    const std::vector<float> ref = ReadF32(Prefix(c) + ".seqA.kvf16.logits.f32");
    const std::vector<float> got = AllLogits(*session, ids);
    ASSERT_EQ(got.size(), ref.size());
    // F32 tolerance plus the README's 1e-3 allowance for an F16 cache.
    const Tolerance tol{1e-4 + 1e-3, 1e-5 + 1e-3, 1.1e-3, 1.0, 1.1e-3};
    const Comparison cmp = Compare(got, ref, static_cast<int>(model->info().n_vocab), tol);
    std::cout << "[golden] " << stem << "-F32 seqA kvf16 max_abs=" << cmp.max_abs << " rms=" << cmp.rms << "\n";
    EXPECT_LE(cmp.max_abs, tol.max_abs);
    EXPECT_LE(cmp.rms, tol.rms);
    EXPECT_TRUE(cmp.failures.empty()) << cmp.failures;
    EXPECT_EQ(Greedy(*session, ids, 16), ReadIds(Prefix(c) + ".seqA.kvf16.greedy.txt"));
  }
}

}  // namespace
}  // namespace edgelm::golden
