// Model loading and session behaviour on the reference fixtures, and every kind of bad
// input the engine must reject with a clear error: files patched byte-wise in a temp
// directory (missing tensor, wrong shape, unsupported type or architecture, NaN weight)
// and bad runtime arguments (token ids, context overflow, options).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "edgelm/engine.h"
#include "gguf/gguf_reader.h"

namespace edgelm {
namespace {

namespace fs = std::filesystem;

const std::string kRefDir = std::string(EDGELM_SHARED_DIR) + "/fixtures/reference";

std::string Fixture(const std::string& stem, const std::string& type) {
  return kRefDir + "/" + stem + "/" + stem + "-" + type + ".gguf";
}

Result<std::unique_ptr<Model>> LoadPath(const std::string& path) {
  LoadOptions lo;
  lo.path = path;
  lo.prefault = false;
  return Model::Load(lo);
}

std::unique_ptr<Session> OpenSession(const Model& m, uint32_t n_ctx = 64) {
  SessionOptions so;
  so.n_ctx = n_ctx;
  so.n_threads = 1;
  auto s = m.NewSession(so);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class FixtureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::is_directory(kRefDir)) GTEST_SKIP() << "reference fixtures absent: " << kRefDir;
  }
};

// A copy of a fixture in a temp dir, patched in place.
class PatchedFile {
 public:
  explicit PatchedFile(const std::string& src) {
    path_ = (fs::temp_directory_path() / ("edgelm_model_test_" + std::to_string(::getpid()) + "_" +
                                          std::to_string(counter_++) + ".gguf")).string();
    fs::copy_file(src, path_, fs::copy_options::overwrite_existing);
    fs::permissions(path_, fs::perms::owner_read | fs::perms::owner_write);
    std::ifstream in(path_, std::ios::binary);
    bytes_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    auto f = GgufFile::Open(src);
    EXPECT_TRUE(f.ok());
    header_end_ = (*f)->data_offset();
  }
  ~PatchedFile() {
    std::error_code ec;
    fs::remove(path_, ec);
  }
  const std::string& path() const { return path_; }

  // Offset of the first occurrence of `text` in the header, or npos.
  size_t FindInHeader(const std::string& text) const {
    std::string_view header(bytes_.data(), header_end_);
    return header.find(text);
  }
  // Offset of the tensor info that follows the name: n_dims (u32), ne[n_dims] (u64), type (u32).
  size_t TensorInfo(const std::string& name) const {
    std::string needle(8, '\0');
    uint64_t len = name.size();
    std::memcpy(needle.data(), &len, 8);
    needle += name;
    size_t at = FindInHeader(needle);
    EXPECT_NE(at, std::string::npos) << name;
    return at + needle.size();
  }
  void Write(size_t offset, const void* data, size_t n) {
    std::memcpy(bytes_.data() + offset, data, n);
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(bytes_.data(), static_cast<std::streamsize>(bytes_.size()));
  }

 private:
  static inline int counter_ = 0;
  std::string path_;
  std::vector<char> bytes_;
  size_t header_end_ = 0;
};

TEST_F(FixtureTest, InfoDescribesTheModel) {
  auto m = LoadPath(Fixture("ref-llama-mha", "Q4_K_S"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const ModelInfo& info = (*m)->info();
  EXPECT_EQ(info.architecture, "llama");
  EXPECT_EQ(info.name, "ref-llama-mha");
  EXPECT_EQ(info.file_type, "Q4_K_S");
  EXPECT_EQ(info.n_vocab, 1024u);
  EXPECT_EQ(info.n_ctx_train, 512u);
  EXPECT_EQ(info.n_embd, 256u);
  EXPECT_EQ(info.n_layer, 2u);
  EXPECT_EQ(info.n_head, 4u);
  EXPECT_EQ(info.n_head_kv, 4u);
  EXPECT_EQ(info.head_dim, 64u);
  EXPECT_EQ(info.n_ff, 768u);
  EXPECT_FALSE(info.tied_embeddings);
  EXPECT_EQ(info.n_params, 2229504u);  // the README's count
  EXPECT_GT(info.weights_bytes, 0u);
  EXPECT_LT(info.weights_bytes, info.file_bytes);
  EXPECT_NEAR(info.bits_per_weight, info.weights_bytes * 8.0 / info.n_params, 1e-9);
  EXPECT_GT(info.bits_per_weight, 4.0);
  EXPECT_LT(info.bits_per_weight, 6.0);
  EXPECT_EQ(info.KvBytes(512, KvCacheType::kF16), 2ull * 2 * 512 * 4 * 64 * 2);
  EXPECT_EQ(info.KvBytes(512, KvCacheType::kF32), 2ull * 2 * 512 * 4 * 64 * 4);
  EXPECT_LE((*m)->load_timings().start_ns, (*m)->load_timings().end_ns);
  EXPECT_EQ((*m)->gguf().FindTensorOrNull("output.weight")->type, GgmlType::kQ6_K);

  auto tied = LoadPath(Fixture("ref-qwen2", "F32"));
  ASSERT_TRUE(tied.ok()) << tied.status().ToString();
  EXPECT_TRUE((*tied)->info().tied_embeddings);
  EXPECT_EQ((*tied)->info().architecture, "qwen2");
  EXPECT_EQ((*tied)->info().n_params, 1771520u);
  EXPECT_NEAR((*tied)->info().rms_norm_eps, 1e-6f, 1e-12);
  EXPECT_EQ((*tied)->info().rope_freq_base, 1000000.0f);
  EXPECT_DOUBLE_EQ((*tied)->info().bits_per_weight, 32.0);
}

TEST_F(FixtureTest, LoadReportsProgressPrefaultsAndCancels) {
  std::vector<float> seen;
  LoadOptions lo;
  lo.path = Fixture("ref-llama-gqa-tied", "Q8_0");
  lo.prefault = true;
  lo.progress = [&](float f) {
    seen.push_back(f);
    return true;
  };
  auto m = Model::Load(lo);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_GE(seen.size(), 3u);
  EXPECT_EQ(seen.front(), 0.0f);
  EXPECT_EQ(seen.back(), 1.0f);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ((*m)->info().n_params, 2524944u);

  lo.progress = [](float f) { return f < 0.01f; };
  auto cancelled = Model::Load(lo);
  ASSERT_FALSE(cancelled.ok());
  EXPECT_EQ(cancelled.status().code(), StatusCode::kCancelled);
}

TEST_F(FixtureTest, SessionReportsMemoryAndEvents) {
  auto m = LoadPath(Fixture("ref-llama-gqa-tied", "F16"));
  ASSERT_TRUE(m.ok());
  SessionOptions so;
  so.n_ctx = 100;
  so.n_threads = 1;
  so.kv_type = KvCacheType::kF32;
  so.isa = "scalar";
  auto s = (*m)->NewSession(so);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  Session& session = **s;
  EXPECT_EQ(session.n_ctx(), 100u);
  EXPECT_EQ(session.isa(), Isa::kScalar);
  EXPECT_EQ(session.n_threads(), 1);
  EXPECT_EQ(&session.model(), m->get());
  const MemoryUsage mem = session.memory();
  EXPECT_EQ(mem.kv_bytes, (*m)->info().KvBytes(100, KvCacheType::kF32));
  EXPECT_EQ(mem.weights_bytes, (*m)->info().weights_bytes);
  EXPECT_GT(mem.scratch_bytes, 0u);

  const std::vector<int32_t> prompt = {5, 6, 7, 8, 9};
  ASSERT_TRUE(session.Prefill(prompt).ok());
  EXPECT_EQ(session.n_logit_rows(), 1);
  ASSERT_TRUE(session.Decode(10).ok());
  ASSERT_TRUE(session.Prefill(prompt, true).ok());
  EXPECT_EQ(session.n_logit_rows(), 5);
  ASSERT_EQ(session.events().size(), 3u);
  EXPECT_EQ(session.events()[0].kind, PhaseEvent::kPrefill);
  EXPECT_EQ(session.events()[0].n_tokens, 5u);
  EXPECT_EQ(session.events()[0].n_past, 0u);
  EXPECT_EQ(session.events()[1].kind, PhaseEvent::kDecode);
  EXPECT_EQ(session.events()[1].n_past, 5u);
  EXPECT_EQ(session.events()[2].n_past, 6u);
  for (const PhaseEvent& e : session.events()) EXPECT_LE(e.start_ns, e.end_ns);
  EXPECT_EQ(session.n_past(), 11u);
  session.ClearTimings();
  EXPECT_TRUE(session.events().empty());
  session.Reset();
  EXPECT_EQ(session.n_past(), 0u);

  SessionOptions defaults;
  defaults.n_threads = 1;
  auto d = (*m)->NewSession(defaults);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ((*d)->n_ctx(), 512u);  // min(training context 512, 4096)
  EXPECT_EQ((*d)->memory().kv_bytes, (*m)->info().KvBytes(512, KvCacheType::kF16));
}

TEST_F(FixtureTest, RejectsOutOfRangeTokenIds) {
  auto m = LoadPath(Fixture("ref-qwen2", "Q8_0"));
  ASSERT_TRUE(m.ok());
  auto s = OpenSession(**m);
  ASSERT_NE(s, nullptr);
  const std::vector<int32_t> bad = {5, 1024, 7};
  Status st = s->Prefill(bad);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(st.message(), "1024")) << st.message();
  EXPECT_TRUE(Contains(st.message(), "index 1")) << st.message();
  EXPECT_EQ(s->Decode(-1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s->Prefill(std::vector<int32_t>{}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s->n_past(), 0u);
  EXPECT_TRUE(s->Decode(1023).ok());
}

TEST_F(FixtureTest, RejectsPromptLongerThanContext) {
  auto m = LoadPath(Fixture("ref-llama-mha", "Q4_0"));
  ASSERT_TRUE(m.ok());
  auto s = OpenSession(**m, 8);
  ASSERT_NE(s, nullptr);
  std::vector<int32_t> nine(9, 42);
  Status st = s->Prefill(nine);
  EXPECT_EQ(st.code(), StatusCode::kOutOfRange);
  EXPECT_TRUE(Contains(st.message(), "9 tokens")) << st.message();
  EXPECT_TRUE(Contains(st.message(), "context of 8")) << st.message();
  std::vector<int32_t> eight(8, 42);
  ASSERT_TRUE(s->Prefill(eight).ok());
  EXPECT_EQ(s->Decode(3).code(), StatusCode::kOutOfRange);
  ASSERT_TRUE(s->TruncateTo(7).ok());
  EXPECT_TRUE(s->Decode(3).ok());
}

TEST_F(FixtureTest, RejectsBadSessionOptions) {
  auto m = LoadPath(Fixture("ref-llama-mha", "Q4_0"));
  ASSERT_TRUE(m.ok());
  SessionOptions so;
  so.isa = "sse9";
  EXPECT_FALSE((*m)->NewSession(so).ok());
  so.isa = "scalar";
  so.n_batch = 0;
  EXPECT_EQ((*m)->NewSession(so).status().code(), StatusCode::kInvalidArgument);
  so.n_batch = 512;
  so.n_threads = -2;
  EXPECT_EQ((*m)->NewSession(so).status().code(), StatusCode::kInvalidArgument);
}

TEST(KvCacheType, ParsesAndNames) {
  EXPECT_EQ(ParseKvCacheType("f16").value(), KvCacheType::kF16);
  EXPECT_EQ(ParseKvCacheType("F32").value(), KvCacheType::kF32);
  EXPECT_EQ(ParseKvCacheType("q8_0").status().code(), StatusCode::kInvalidArgument);
  EXPECT_STREQ(KvCacheTypeName(KvCacheType::kF16), "f16");
  EXPECT_STREQ(KvCacheTypeName(KvCacheType::kF32), "f32");
}

TEST(ModelLoad, MissingFileIsAnError) {
  auto m = LoadPath("/nonexistent/edgelm/model.gguf");
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(Contains(m.status().message(), "/nonexistent/edgelm/model.gguf")) << m.status().message();
}

TEST_F(FixtureTest, RejectsMissingTensor) {
  PatchedFile f(Fixture("ref-llama-mha", "Q4_0"));
  const size_t at = f.FindInHeader("blk.1.ffn_up.weight");
  ASSERT_NE(at, std::string::npos);
  f.Write(at + 9, "X", 1);  // blk.1.ffn_Xp.weight
  auto m = LoadPath(f.path());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(Contains(m.status().message(), "'blk.1.ffn_up.weight' is missing")) << m.status().message();
}

TEST_F(FixtureTest, RejectsWrongTensorShape) {
  PatchedFile f(Fixture("ref-llama-mha", "F16"));
  const size_t info = f.TensorInfo("blk.0.attn_q.weight");
  const uint64_t ne1 = 128;
  f.Write(info + 4 + 8, &ne1, 8);
  auto m = LoadPath(f.path());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kCorrupt);
  const std::string& msg = m.status().message();
  EXPECT_TRUE(Contains(msg, "'blk.0.attn_q.weight' has shape [256, 128], expected [256, 256]")) << msg;
}

TEST_F(FixtureTest, RejectsUnsupportedWeightType) {
  PatchedFile f(Fixture("ref-llama-mha", "F16"));
  const size_t info = f.TensorInfo("blk.1.ffn_gate.weight");
  const uint32_t iq2_xxs = 16;
  f.Write(info + 4 + 2 * 8, &iq2_xxs, 4);
  auto m = LoadPath(f.path());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kUnsupported);
  EXPECT_TRUE(Contains(m.status().message(), "unsupported weight type IQ2_XXS in tensor 'blk.1.ffn_gate.weight'"))
      << m.status().message();
}

TEST_F(FixtureTest, RejectsUnsupportedArchitecture) {
  PatchedFile f(Fixture("ref-llama-mha", "Q4_0"));
  std::string key = "general.architecture";
  size_t at = f.FindInHeader(key);
  ASSERT_NE(at, std::string::npos);
  // key, u32 value type, u64 length, then the 5 bytes "llama".
  f.Write(at + key.size() + 4 + 8, "mamba", 5);
  auto m = LoadPath(f.path());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kUnsupported);
  EXPECT_TRUE(Contains(m.status().message(), "architecture 'mamba'")) << m.status().message();
  EXPECT_TRUE(Contains(m.status().message(), "llama, qwen2")) << m.status().message();
}

TEST_F(FixtureTest, NanWeightIsReportedWithItsLayer) {
  const std::string src = Fixture("ref-llama-gqa-tied", "Q4_K_S");
  PatchedFile f(src);
  auto orig = GgufFile::Open(src);
  ASSERT_TRUE(orig.ok());
  const GgufTensorInfo* norm = (*orig)->FindTensorOrNull("blk.1.ffn_norm.weight");
  ASSERT_NE(norm, nullptr);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  f.Write(static_cast<size_t>(norm->data - (*orig)->file_data()) + 4 * 17, &nan, 4);
  auto m = LoadPath(f.path());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  auto s = OpenSession(**m);
  ASSERT_NE(s, nullptr);
  Status st = s->Prefill(std::vector<int32_t>{3, 4, 5});
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(Contains(st.message(), "layer 1 (blk.1)")) << st.message();
  EXPECT_TRUE(Contains(st.message(), "non-finite")) << st.message();
}

}  // namespace
}  // namespace edgelm
