// synth: preset shapes and parameter counts against the published figures, metadata of
// every preset (no weights written), small files written end to end: deterministic,
// parseable, weights with the intended statistics, vocabularies padded.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "gguf/gguf_reader.h"
#include "gguf/gguf_writer.h"
#include "kernels/quantize.h"
#include "synth/model_info.h"
#include "synth/synth.h"

namespace edgelm {
namespace {

namespace fs = std::filesystem;

class ScratchDir {
 public:
  ScratchDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() / ("edgelm_synth_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string File(const std::string& n) const { return (path_ / n).string(); }

 private:
  fs::path path_;
};

std::vector<uint8_t> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

SynthShape SmallShape(const std::string& arch = "llama") {
  SynthShape s;
  s.arch = arch;
  s.name = "small";
  s.n_embd = 256;
  s.n_layer = 2;
  s.n_head = 8;
  s.n_head_kv = 2;
  s.n_ff = 512;
  s.n_vocab = 300;
  s.n_ctx = 128;
  s.qkv_bias = arch == "qwen2";
  return s;
}

TEST(SynthPresets, ParameterCountsMatchPublishedFigures) {
  ASSERT_EQ(SynthPresets().size(), 9u);
  for (const auto& p : SynthPresets()) {
    SCOPED_TRACE(p.name);
    ASSERT_TRUE(ValidateSynthShape(p.shape).ok()) << ValidateSynthShape(p.shape).ToString();
    const double n = static_cast<double>(SynthParameterCount(p.shape));
    const double published = static_cast<double>(p.published_parameters);
    // stories15M's published "15M" has two significant digits: its exact count (the
    // llama2.c formula below) is 1.3% above.
    const double tolerance = std::string(p.name) == "stories15m" ? 0.02 : 0.01;
    EXPECT_NEAR(n / published, 1.0, tolerance) << static_cast<uint64_t>(n) << " vs " << p.published_parameters;
  }
  // Exact counts from the shapes (HF safetensors totals where published).
  auto count = [](const char* name) { return SynthParameterCount((*FindSynthPreset(name))->shape); };
  EXPECT_EQ(count("stories15m"), 32000ull * 288 + 6ull * (4 * 288 * 288 + 3 * 288 * 768 + 2 * 288) + 288);
  EXPECT_EQ(count("smollm2-135m"), 134515008u);
  EXPECT_EQ(count("qwen2.5-0.5b"), 494032768u);
  EXPECT_EQ(count("qwen2.5-1.5b"), 1543714304u);
  EXPECT_EQ(count("llama-3.2-1b"), 1235814400u + 32u);   // + rope_freqs [32]
  EXPECT_EQ(count("llama-3.2-3b"), 3212749824u + 64u);   // + rope_freqs [64]
  EXPECT_EQ(count("tinyllama-1.1b"), 1100048384u);
  EXPECT_FALSE(FindSynthPreset("gpt-5").ok());
  EXPECT_NE(FindSynthPreset("gpt-5").status().message().find("qwen2.5-0.5b"), std::string::npos);
  EXPECT_TRUE(FindSynthPreset("Qwen2.5-0.5B").ok());  // case-insensitive
}

TEST(SynthPresets, TensorListsFollowTheArchitecture) {
  const SynthShape& qwen = (*FindSynthPreset("qwen2.5-0.5b"))->shape;
  const auto qt = SynthTensorList(qwen);
  EXPECT_EQ(qt.size(), 2u + 24u * 12u);  // tied: no output.weight; 3 biases per layer
  auto find = [](const std::vector<SynthTensor>& list, const std::string& name) -> const SynthTensor* {
    for (const auto& t : list) {
      if (t.name == name) return &t;
    }
    return nullptr;
  };
  ASSERT_NE(find(qt, "blk.23.attn_k.bias"), nullptr);
  EXPECT_EQ(find(qt, "blk.23.attn_k.bias")->ne, (std::vector<int64_t>{128}));  // 2 KV heads x 64
  EXPECT_EQ(find(qt, "blk.0.attn_q.weight")->ne, (std::vector<int64_t>{896, 896}));
  EXPECT_EQ(find(qt, "blk.0.ffn_down.weight")->ne, (std::vector<int64_t>{4864, 896}));
  EXPECT_EQ(find(qt, "token_embd.weight")->ne, (std::vector<int64_t>{896, 151936}));
  EXPECT_EQ(find(qt, "output.weight"), nullptr);

  const auto lt = SynthTensorList((*FindSynthPreset("llama-3.2-1b"))->shape);
  ASSERT_NE(find(lt, "rope_freqs.weight"), nullptr);
  EXPECT_EQ(find(lt, "rope_freqs.weight")->ne, (std::vector<int64_t>{32}));
  EXPECT_EQ(find(lt, "blk.0.attn_q.bias"), nullptr);

  const auto tt = SynthTensorList((*FindSynthPreset("tinyllama-1.1b"))->shape);
  ASSERT_NE(find(tt, "output.weight"), nullptr);
  EXPECT_EQ(find(tt, "blk.21.attn_v.weight")->ne, (std::vector<int64_t>{2048, 256}));
}

// Every preset's metadata, written without any tensor, read back and summarised.
TEST(SynthPresets, MetadataOfEveryPreset) {
  for (const auto& p : SynthPresets()) {
    SCOPED_TRACE(p.name);
    SynthOptions o;
    o.shape = p.shape;
    o.preset = p.name;
    o.type = GgmlType::kQ4_K;
    o.seed = 7;
    GgufWriter w;
    ASSERT_TRUE(SetSynthMetadata(o, &w).ok());
    std::vector<uint8_t> buf;
    ASSERT_TRUE(w.BeginInMemory(&buf).ok());
    ASSERT_TRUE(w.Finish().ok());
    auto f = GgufFile::Parse(buf.data(), buf.size(), p.name);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    const std::string a = p.shape.arch + ".";
    EXPECT_EQ((*f)->GetString("general.architecture").value_or(""), p.shape.arch);
    EXPECT_EQ((*f)->GetString("edgelm.synth.preset").value_or(""), p.name);
    EXPECT_EQ((*f)->GetU64("edgelm.synth.seed").value_or(0), 7u);
    EXPECT_EQ((*f)->GetU32("general.file_type").value_or(0), 14u);  // Q4_K_S
    EXPECT_EQ((*f)->GetU32("general.quantization_version").value_or(0), 2u);
    EXPECT_EQ((*f)->GetU32(a + "embedding_length").value_or(0), p.shape.n_embd);
    EXPECT_EQ((*f)->GetU32(a + "block_count").value_or(0), p.shape.n_layer);
    EXPECT_EQ((*f)->GetU32(a + "attention.head_count_kv").value_or(0), p.shape.n_head_kv);
    EXPECT_EQ((*f)->GetU32(a + "context_length").value_or(0), p.shape.n_ctx);
    EXPECT_EQ((*f)->GetU32(a + "rope.dimension_count").value_or(0), p.shape.n_embd / p.shape.n_head);
    EXPECT_FLOAT_EQ((*f)->GetF32(a + "rope.freq_base").value_or(0), p.shape.rope_base);
    EXPECT_FLOAT_EQ((*f)->GetF32(a + "attention.layer_norm_rms_epsilon").value_or(0), p.shape.rms_eps);
    auto tokens = (*f)->GetArray("tokenizer.ggml.tokens", GgufValueType::kString);
    ASSERT_TRUE(tokens.ok());
    EXPECT_EQ((*tokens)->count, p.shape.n_vocab);
    EXPECT_EQ((*f)->GetU32(a + "vocab_size").value_or(0), p.shape.n_vocab);
    const GgufSummary info = DescribeModel(**f);
    ASSERT_TRUE(info.kv_cache.has_value());
    const uint64_t hd = p.shape.n_embd / p.shape.n_head;
    EXPECT_EQ(info.kv_cache->f16_bytes_per_1024_tokens, 2ull * p.shape.n_layer * 1024 * p.shape.n_head_kv * hd * 2);
  }
  // Llama 3.2 1B: 32 MiB of F16 KV cache per 1,024 tokens (16 layers, 8 KV heads of 64).
  EXPECT_EQ(2ull * 16 * 1024 * 8 * 64 * 2, 32ull << 20);
}

TEST(SynthRope, Llama3FactorsMatchTheFixture) {
  // ../shared/fixtures/reference README: factor 8, low 1, high 4, original 8192 at base
  // 500000 and head_dim 32 give 1 x8, 2.6945298, 8 x7.
  const auto f = Llama3RopeFreqFactors(32, 500000.0f, {8.0f, 1.0f, 4.0f, 8192});
  const float expected[16] = {1, 1, 1, 1, 1, 1, 1, 1, 2.6945298f, 8, 8, 8, 8, 8, 8, 8};
  ASSERT_EQ(f.size(), 16u);
  for (int i = 0; i < 16; ++i) EXPECT_NEAR(f[i], expected[i], 2e-6f) << i;
}

TEST(SynthTypes, FallbacksAndFileTypes) {
  EXPECT_EQ(SynthTypeForRow(GgmlType::kQ4_K, 2048), GgmlType::kQ4_K);
  EXPECT_EQ(SynthTypeForRow(GgmlType::kQ4_K, 576), GgmlType::kQ5_0);
  EXPECT_EQ(SynthTypeForRow(GgmlType::kQ6_K, 896), GgmlType::kQ8_0);
  EXPECT_EQ(SynthTypeForRow(GgmlType::kQ5_K, 288), GgmlType::kQ5_1);
  EXPECT_EQ(SynthTypeForRow(GgmlType::kQ4_0, 100), GgmlType::kF16);
  EXPECT_EQ(SynthTypeForRow(GgmlType::kF32, 7), GgmlType::kF32);
  EXPECT_EQ(SynthFileTypeId(GgmlType::kBF16), 32u);
  EXPECT_EQ(SynthFileTypeId(GgmlType::kQ8_0), 7u);
  EXPECT_FALSE(SynthFileTypeId(GgmlType::kIQ2_XXS).has_value());
}

TEST(SynthShapeCheck, BadShapesAreNamed) {
  SynthShape s = SmallShape();
  s.n_head = 7;
  EXPECT_NE(ValidateSynthShape(s).message().find("n_embd 256 is not a multiple of n_head 7"), std::string::npos);
  s = SmallShape();
  s.n_head_kv = 3;
  EXPECT_NE(ValidateSynthShape(s).message().find("not a multiple of n_head_kv 3"), std::string::npos);
  s = SmallShape();
  s.arch = "gpt2";
  EXPECT_NE(ValidateSynthShape(s).message().find("arch 'gpt2'"), std::string::npos);
  s = SmallShape();
  s.n_embd = 24;
  s.n_head = 8;  // head size 3
  EXPECT_NE(ValidateSynthShape(s).message().find("odd"), std::string::npos);
  s = SmallShape();
  s.n_layer = 0;
  EXPECT_NE(ValidateSynthShape(s).message().find("n_layer = 0"), std::string::npos);
}

TEST(SynthVocab, BuiltinByteVocabularyIsPadded) {
  auto v = BuiltinByteVocab(300);
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(v->tokens.size(), 300u);
  ASSERT_EQ(v->token_types.size(), 300u);
  EXPECT_EQ(v->model, "gpt2");
  EXPECT_EQ(v->pre, "default");
  EXPECT_TRUE(v->merges.empty());
  EXPECT_EQ(v->tokens[1], "<s>");
  EXPECT_EQ(v->token_types[1], 3);
  EXPECT_EQ(v->tokens[3 + 'a'], "a");
  EXPECT_EQ(v->tokens[3 + ' '], "\xC4\xA0");     // U+0120
  EXPECT_EQ(v->tokens[3 + '\n'], "\xC4\x8A");    // U+010A
  EXPECT_EQ(v->tokens[3 + 0xAD], "\xC5\x83");    // soft hyphen -> U+0143, the last remapped byte
  EXPECT_EQ(v->tokens[3 + 0xFF], "\xC3\xBF");    // printable Latin-1 maps to itself
  EXPECT_EQ(v->tokens[259], "[PAD259]");
  EXPECT_EQ(v->token_types[299], 5);             // UNUSED
  EXPECT_FALSE(BuiltinByteVocab(258).ok());
  VocabMetadata big = *v;
  EXPECT_NE(PadVocab(&big, 100).message().find("has 300 tokens but the model's vocabulary (n_vocab) is 100"),
            std::string::npos);
}

TEST(SynthFile, WrittenFileParsesWithIntendedStatistics) {
  ScratchDir dir;
  SynthOptions o;
  o.shape = SmallShape("qwen2");
  o.type = GgmlType::kF32;
  o.seed = 42;
  const std::string path = dir.File("m.gguf");
  auto r = SynthesizeModel(o, path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->fallbacks.empty());
  auto f = GgufFile::Open(path);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ((*f)->file_size(), r->file_size_bytes);
  const GgufSummary info = DescribeModel(**f);
  EXPECT_EQ(info.parameters, SynthParameterCount(o.shape));
  EXPECT_EQ(info.parameters, r->parameters);
  EXPECT_EQ(info.file_type_name.value_or(""), "F32");
  EXPECT_EQ(info.vocab_size.value_or(0), 300u);
  auto stats = [&](const char* name, double* mean, double* sd) {
    const GgufTensorInfo* t = (*f)->FindTensorOrNull(name);
    ASSERT_NE(t, nullptr) << name;
    const float* v = reinterpret_cast<const float*>(t->data);
    double s = 0, s2 = 0;
    for (uint64_t i = 0; i < t->n_elements; ++i) {
      ASSERT_TRUE(std::isfinite(v[i]));
      s += v[i];
      s2 += static_cast<double>(v[i]) * v[i];
    }
    *mean = s / t->n_elements;
    *sd = std::sqrt(s2 / t->n_elements - *mean * *mean);
  };
  double mean, sd;
  stats("blk.1.ffn_gate.weight", &mean, &sd);  // 131,072 draws
  EXPECT_NEAR(mean, 0.0, 0.001);
  EXPECT_NEAR(sd, 0.02, 0.0005);
  stats("blk.0.attn_norm.weight", &mean, &sd);
  EXPECT_NEAR(mean, 1.0, 0.03);
  EXPECT_NEAR(sd, 0.1, 0.02);
  stats("blk.0.attn_q.bias", &mean, &sd);
  EXPECT_NEAR(sd, 0.02, 0.005);
  // Different tensors get different streams.
  const auto* q = (*f)->FindTensorOrNull("blk.0.attn_q.weight");
  const auto* o_w = (*f)->FindTensorOrNull("blk.0.attn_output.weight");
  EXPECT_NE(std::memcmp(q->data, o_w->data, q->n_bytes), 0);
}

TEST(SynthFile, SameSeedSameBytesOtherSeedOtherBytes) {
  ScratchDir dir;
  SynthOptions o;
  o.shape = SmallShape();
  o.shape.rope_scaling = {8.0f, 1.0f, 4.0f, 8192};
  o.type = GgmlType::kQ8_0;
  o.seed = 1;
  ASSERT_TRUE(SynthesizeModel(o, dir.File("a.gguf")).ok());
  ASSERT_TRUE(SynthesizeModel(o, dir.File("b.gguf")).ok());
  o.seed = 2;
  ASSERT_TRUE(SynthesizeModel(o, dir.File("c.gguf")).ok());
  const auto a = ReadAll(dir.File("a.gguf")), b = ReadAll(dir.File("b.gguf")), c = ReadAll(dir.File("c.gguf"));
  ASSERT_GT(a.size(), 100000u);
  EXPECT_EQ(a, b);
  ASSERT_EQ(a.size(), c.size());
  EXPECT_NE(a, c);
  // rope_freqs is not random: the Llama 3 factors, identical across seeds.
  auto fa = GgufFile::Open(dir.File("a.gguf"));
  ASSERT_TRUE(fa.ok());
  const GgufTensorInfo* rf = (*fa)->FindTensorOrNull("rope_freqs.weight");
  ASSERT_NE(rf, nullptr);
  EXPECT_EQ(rf->type, GgmlType::kF32);
  const auto factors = Llama3RopeFreqFactors(32, 10000.0f, o.shape.rope_scaling);
  EXPECT_EQ(std::memcmp(rf->data, factors.data(), rf->n_bytes), 0);
}

TEST(SynthFile, QuantizedMatricesDequantizeToTheIntendedScale) {
  ScratchDir dir;
  SynthOptions o;
  o.shape = SmallShape();
  o.shape.n_ff = 320;  // ffn_down rows of 320 do not fit Q4_K's 256-blocks
  o.type = GgmlType::kQ4_K;
  auto r = SynthesizeModel(o, dir.File("q.gguf"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->fallbacks.size(), 1u);
  EXPECT_EQ(r->fallbacks[0],
            "2 tensors (blk.0.ffn_down.weight, ...): Q4_K -> Q5_0 (row length 320 is not a multiple of the Q4_K "
            "block size 256)");
  auto f = GgufFile::Open(dir.File("q.gguf"));
  ASSERT_TRUE(f.ok());
  const GgufTensorInfo* t = (*f)->FindTensorOrNull("blk.0.ffn_up.weight");
  ASSERT_EQ(t->type, GgmlType::kQ4_K);
  EXPECT_EQ((*f)->FindTensorOrNull("blk.1.ffn_down.weight")->type, GgmlType::kQ5_0);
  EXPECT_EQ((*f)->FindTensorOrNull("output_norm.weight")->type, GgmlType::kF32);
  std::vector<float> x(t->n_elements);
  ASSERT_TRUE(DequantizeRows(t->type, t->data, x.data(), t->ne[1], t->ne[0]).ok());
  double s2 = 0;
  for (float v : x) s2 += static_cast<double>(v) * v;
  EXPECT_NEAR(std::sqrt(s2 / x.size()), 0.02, 0.002);
}

TEST(SynthFile, VocabFromGgufIsCopiedAndPadded) {
  const std::string src = std::string(EDGELM_SHARED_DIR) + "/fixtures/reference/ref-qwen2/ref-qwen2-Q8_0.gguf";
  if (!fs::exists(src)) GTEST_SKIP() << src << " absent";
  auto vocab = GgufFile::Open(src);
  ASSERT_TRUE(vocab.ok());
  ScratchDir dir;
  SynthOptions o;
  o.shape = SmallShape("qwen2");
  o.shape.n_vocab = 1100;
  o.vocab_source = vocab->get();
  ASSERT_TRUE(SynthesizeModel(o, dir.File("v.gguf")).ok());
  auto f = GgufFile::Open(dir.File("v.gguf"));
  ASSERT_TRUE(f.ok());
  auto tokens = (*f)->GetArray("tokenizer.ggml.tokens", GgufValueType::kString);
  ASSERT_TRUE(tokens.ok());
  ASSERT_EQ((*tokens)->count, 1100u);
  EXPECT_EQ((*tokens)->strings[961], "<fill_0000>");
  EXPECT_EQ((*tokens)->strings[1024], "[PAD1024]");
  EXPECT_EQ((*f)->GetArray("tokenizer.ggml.token_type", GgufValueType::kI32).value()->count, 1100u);
  EXPECT_EQ((*f)->GetArray("tokenizer.ggml.merges", GgufValueType::kString).value()->count, 702u);
  EXPECT_EQ((*f)->GetString("tokenizer.ggml.pre").value_or(""), "default");
  EXPECT_TRUE((*f)->GetBool("tokenizer.ggml.add_bos_token").value_or(false));
  // Every tokenizer.* key of the source is present.
  for (const auto& kv : (*vocab)->metadata()) {
    if (kv.key.rfind("tokenizer.", 0) == 0) {
      EXPECT_NE((*f)->FindKeyOrNull(kv.key), nullptr) << kv.key;
    }
  }
  o.shape.n_vocab = 1000;
  auto small = SynthesizeModel(o, dir.File("w.gguf"));
  ASSERT_FALSE(small.ok());
  EXPECT_NE(small.status().message().find("has 1024 tokens but the model's vocabulary (n_vocab) is 1000"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(dir.File("w.gguf")));
}

// --vocab-from tokenizer.json: converted through the tokenizer layer, padded to n_vocab.
TEST(SynthVocab, HuggingFaceTokenizersConvertAndPad) {
  const std::string dir = std::string(EDGELM_SHARED_DIR) + "/models/hf-tokenizers";
  if (!fs::is_directory(dir)) GTEST_SKIP() << dir << " absent";
  struct Case {
    const char* preset;
    const char* tokenizer;
    const char* pre;
  };
  for (const Case& c : {Case{"llama-3.2-1b", "llama3", "llama-bpe"}, Case{"qwen2.5-0.5b", "qwen3", "qwen2"}}) {
    SCOPED_TRACE(c.tokenizer);
    auto src = LoadSynthVocabSource(dir + "/" + c.tokenizer + "/tokenizer.json");
    ASSERT_TRUE(src.ok()) << src.status().ToString();
    ASSERT_TRUE(src->converted.has_value());
    EXPECT_EQ(src->gguf, nullptr);
    SynthOptions o;
    o.shape = (*FindSynthPreset(c.preset))->shape;
    o.vocab = src->converted;
    GgufWriter w;
    ASSERT_TRUE(SetSynthMetadata(o, &w).ok());
    std::vector<uint8_t> buf;
    ASSERT_TRUE(w.BeginInMemory(&buf).ok());
    ASSERT_TRUE(w.Finish().ok());
    auto f = GgufFile::Parse(buf.data(), buf.size(), c.preset);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    EXPECT_EQ((*f)->GetString("tokenizer.ggml.model").value_or(""), "gpt2");
    EXPECT_EQ((*f)->GetString("tokenizer.ggml.pre").value_or(""), c.pre);
    auto tokens = (*f)->GetArray("tokenizer.ggml.tokens", GgufValueType::kString);
    ASSERT_TRUE(tokens.ok());
    EXPECT_EQ((*tokens)->count, o.shape.n_vocab);
    EXPECT_GT((*f)->GetArray("tokenizer.ggml.merges", GgufValueType::kString).value()->count, 100000u);
    EXPECT_TRUE((*f)->FindKeyOrNull("tokenizer.chat_template") != nullptr);
    const uint32_t eos = (*f)->GetU32("tokenizer.ggml.eos_token_id").value_or(0);
    ASSERT_LT(eos, (*tokens)->count);
    EXPECT_EQ((*tokens)->strings[eos].substr(0, 2), "<|");
    if (std::string(c.tokenizer) == "qwen3") {
      // 151,669 real tokens; the rest up to Qwen2.5's 151,936 rows are padding.
      EXPECT_EQ((*tokens)->strings[151935], "[PAD151935]");
    }
  }
  auto missing = LoadSynthVocabSource(dir + "/nope/tokenizer.json");
  EXPECT_FALSE(missing.ok());
}

TEST(SynthFile, CancelMidwayRemovesThePartialFile) {
  ScratchDir dir;
  SynthOptions o;
  o.shape = SmallShape();
  o.type = GgmlType::kQ8_0;
  std::atomic<bool> cancel{false};
  o.cancel = &cancel;
  const std::string path = dir.File("cancelled.gguf");
  size_t seen = 0;
  // The flag is raised after the third tensor, as a Ctrl-C during the write would.
  auto r = SynthesizeModel(o, path, [&](const SynthProgress& p) {
    seen = p.tensor_index;
    if (p.tensor_index == 3) cancel = true;
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  EXPECT_NE(r.status().message().find("after 3 of"), std::string::npos) << r.status().message();
  EXPECT_EQ(seen, 3u);
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".partial"));
}

}  // namespace
}  // namespace edgelm
