// stories260K, the one trained model here: 200 greedy steps from BOS must reproduce the
// llama2.c reference text exactly (f32, f16). q8_0 moves this trained model's logits by
// up to ~0.3, more than some greedy margins, so it is checked step by step against f32
// instead; q4_0 and q4_k_m load and tell a story.
#include <gtest/gtest.h>

#include <cmath>

#include "gguf/gguf_reader.h"
#include "golden/golden_util.h"

namespace edgelm::golden {
namespace {

const std::string kStories = kShared + "/models/stories260K";

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string TrimTrailingNewlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// SentencePiece pieces from the vocabulary: "▁" is a space, "<0xNN>" a raw byte. Kept
// here (instead of the tokenizer layer) so this test checks the forward pass alone.
std::string PieceText(const std::string& piece) {
  if (piece.size() == 6 && piece.rfind("<0x", 0) == 0 && piece.back() == '>') {
    return std::string(1, static_cast<char>(std::stoi(piece.substr(3, 2), nullptr, 16)));
  }
  std::string out;
  for (size_t i = 0; i < piece.size(); ++i) {
    if (piece.compare(i, 3, "\xE2\x96\x81") == 0) {
      out += ' ';
      i += 2;
    } else {
      out += piece[i];
    }
  }
  return out;
}

// llama2.c's run: BOS at position 0, then 200 greedy tokens (stopping early if BOS
// comes again); the space the first piece starts with is dropped.
std::string GenerateText(const Model& model, int* n_generated, std::vector<int32_t>* ids = nullptr) {
  const GgufFile& file = model.gguf();
  auto tokens = file.GetArray("tokenizer.ggml.tokens", GgufValueType::kString);
  EXPECT_TRUE(tokens.ok()) << tokens.status().ToString();
  if (!tokens.ok()) return "";
  auto bos = file.GetU32("tokenizer.ggml.bos_token_id");
  EXPECT_TRUE(bos.ok());
  const int32_t bos_id = static_cast<int32_t>(bos.value_or(1));
  SessionOptions so;
  so.n_ctx = 256;
  so.n_threads = 1;
  auto s = model.NewSession(so);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return "";
  std::string text;
  int32_t token = bos_id;
  *n_generated = 0;
  for (int pos = 0; pos < 200; ++pos) {
    Status st = (*s)->Decode(token);
    EXPECT_TRUE(st.ok()) << st.ToString();
    if (!st.ok()) break;
    token = Argmax((*s)->Logits());
    if (token == bos_id) break;
    if (ids) ids->push_back(token);
    std::string piece = PieceText(std::string((*tokens)->strings.at(token)));
    if (text.empty() && !piece.empty() && piece[0] == ' ') piece.erase(0, 1);
    text += piece;
    ++*n_generated;
  }
  return text;
}

class StoriesTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!std::filesystem::is_directory(kStories)) GTEST_SKIP() << "stories260K absent: " << kStories;
  }
  std::unique_ptr<Model> LoadModel() {
    LoadOptions lo;
    lo.path = kStories + "/stories260K-" + GetParam() + ".gguf";
    auto m = Model::Load(lo);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? std::move(m).value() : nullptr;
  }
};

class StoriesExactTest : public StoriesTest {};

TEST_P(StoriesExactTest, GreedyTextMatchesLlama2c) {
  auto model = LoadModel();
  ASSERT_NE(model, nullptr);
  int n = 0;
  std::vector<int32_t> ids;
  const std::string got = GenerateText(*model, &n, &ids);
  const std::string expected = TrimTrailingNewlines(ReadText(kStories + "/expected-greedy-200.txt"));
  EXPECT_EQ(TrimTrailingNewlines(got), expected);
  // The same ids through the model's own tokenizer (llama2.c drops the leading space).
  std::string decoded = model->tokenizer().Decode(ids);
  if (!decoded.empty() && decoded[0] == ' ') decoded.erase(0, 1);
  EXPECT_EQ(TrimTrailingNewlines(decoded), expected);
}

INSTANTIATE_TEST_SUITE_P(Stories, StoriesExactTest, ::testing::Values("f32", "f16"));

std::unique_ptr<Session> OpenSession(const Model& model) {
  SessionOptions so;
  so.n_ctx = 256;
  so.n_threads = 1;
  auto s = model.NewSession(so);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

// Teacher-forced along the f32 greedy path: q8_0 must pick f32's token at every step
// whose f32 top-1/top-2 gap exceeds q8_0's deviation from the f32 logits at that step
// (a disagreement is then a near-tie that quantization legitimately flips).
TEST(StoriesQ8Test, AgreesWithF32ExceptAtNearTies) {
  if (!std::filesystem::is_directory(kStories)) GTEST_SKIP() << "stories260K absent: " << kStories;
  LoadOptions lf, lq;
  lf.path = kStories + "/stories260K-f32.gguf";
  lq.path = kStories + "/stories260K-q8_0.gguf";
  auto mf = Model::Load(lf);
  auto mq = Model::Load(lq);
  ASSERT_TRUE(mf.ok() && mq.ok()) << mf.status().ToString() << mq.status().ToString();
  auto sf = OpenSession(**mf);
  auto sq = OpenSession(**mq);
  ASSERT_TRUE(sf && sq);
  int32_t token = 1;  // BOS
  int agree = 0, steps = 200;
  double worst_dev = 0;
  for (int i = 0; i < steps; ++i) {
    ASSERT_TRUE(sf->Decode(token).ok());
    ASSERT_TRUE(sq->Decode(token).ok());
    auto f = sf->Logits();
    auto q = sq->Logits();
    double dev = 0;
    for (size_t j = 0; j < f.size(); ++j) dev = std::max(dev, static_cast<double>(std::fabs(f[j] - q[j])));
    worst_dev = std::max(worst_dev, dev);
    const int af = Argmax(f), aq = Argmax(q);
    if (af == aq) {
      ++agree;
    } else {
      EXPECT_LT(f[af] - f[aq], dev) << "step " << i << ": q8_0 picks " << aq << " over f32's " << af;
    }
    token = af;
  }
  std::cout << "[stories] q8_0 vs f32: top-1 agreement " << agree << "/" << steps << ", max logit deviation "
            << worst_dev << "\n";
  EXPECT_GE(agree, steps * 95 / 100);
  EXPECT_LT(worst_dev, 1.0);
}

class StoriesRunsTest : public StoriesTest {};

TEST_P(StoriesRunsTest, LoadsAndGenerates) {
  auto model = LoadModel();
  ASSERT_NE(model, nullptr);
  int n = 0;
  const std::string got = GenerateText(*model, &n);
  EXPECT_GT(n, 20);
  // A 4-bit model of a trained network still tells a story that starts the usual way.
  EXPECT_EQ(got.rfind("Once upon a time", 0), 0u) << got;
}

INSTANTIATE_TEST_SUITE_P(Stories, StoriesRunsTest, ::testing::Values("q4_0", "q4_k_m"));

}  // namespace
}  // namespace edgelm::golden
