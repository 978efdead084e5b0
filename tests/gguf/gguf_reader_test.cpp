// GgufFile on every real GGUF file in ../shared: each must parse, and the facts the
// fixture README states (shapes, types, metadata, parameter counts) must come out.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "gguf/gguf_reader.h"

namespace edgelm {
namespace {

namespace fs = std::filesystem;

const std::string kShared = EDGELM_SHARED_DIR;
const std::string kRefDir = kShared + "/fixtures/reference";

std::vector<std::string> GgufFilesUnder(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().extension() == ".gguf") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::unique_ptr<GgufFile> OpenOrFail(const std::string& path) {
  auto f = GgufFile::Open(path);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  if (!f.ok()) return nullptr;
  return std::move(f).value();
}

TEST(GgufSharedFiles, EverySharedGgufParses) {
  std::vector<std::string> files = GgufFilesUnder(kShared + "/models");
  for (const auto& f : GgufFilesUnder(kRefDir)) files.push_back(f);
  if (files.empty()) GTEST_SKIP() << "no .gguf files under " << kShared << " (../shared absent)";
  EXPECT_GE(files.size(), 29u);  // 5 stories260K + 3 vocab + 21 reference models
  for (const auto& path : files) {
    SCOPED_TRACE(path);
    auto f = OpenOrFail(path);
    if (!f) continue;
    EXPECT_EQ(f->version(), 3u);
    EXPECT_EQ(f->alignment(), 32u);
    EXPECT_EQ(f->data_offset() % 32, 0u);
    uint64_t covered = 0;
    for (const auto& t : f->tensors()) {
      EXPECT_EQ(t.data, f->file_data() + f->data_offset() + t.offset) << t.name;
      EXPECT_LE(f->data_offset() + t.offset + t.n_bytes, f->file_size()) << t.name;
      EXPECT_EQ(f->FindTensorOrNull(t.name), &t);
      covered += t.n_bytes;
    }
    if (!f->tensors().empty()) {
      EXPECT_LE(f->data_offset() + covered, f->file_size());
    }
    EXPECT_TRUE(f->GetString("general.architecture").ok());
  }
}

struct RefModel {
  std::string stem, arch;
  uint32_t n_layer, n_head, n_head_kv;
  float rope_base, rms_eps;
  bool tied, has_rope_freqs, has_bias;
  uint64_t n_params;
};

const RefModel kRefModels[] = {
    {"ref-llama-mha", "llama", 2, 4, 4, 10000.f, 1e-5f, false, false, false, 2229504},
    {"ref-llama-gqa-tied", "llama", 3, 8, 2, 500000.f, 1e-5f, true, true, false, 2524944},
    {"ref-qwen2", "qwen2", 2, 8, 2, 1000000.f, 1e-6f, true, false, true, 1771520},
};

// Nominal type, general.file_type and the type of a block matrix per file type (README).
struct RefType {
  std::string suffix;
  uint32_t file_type;
  GgmlType matrix, attn_v, head;
};
const RefType kRefTypes[] = {
    {"F32", 0, GgmlType::kF32, GgmlType::kF32, GgmlType::kF32},
    {"F16", 1, GgmlType::kF16, GgmlType::kF16, GgmlType::kF16},
    {"Q8_0", 7, GgmlType::kQ8_0, GgmlType::kQ8_0, GgmlType::kQ8_0},
    {"Q4_0", 2, GgmlType::kQ4_0, GgmlType::kQ4_0, GgmlType::kQ6_K},
    {"Q4_K_S", 14, GgmlType::kQ4_K, GgmlType::kQ5_K, GgmlType::kQ6_K},
    {"Q5_K_S", 16, GgmlType::kQ5_K, GgmlType::kQ5_K, GgmlType::kQ6_K},
    {"Q6_K", 18, GgmlType::kQ6_K, GgmlType::kQ6_K, GgmlType::kQ6_K},
};

void ExpectShape(const GgufFile& f, const std::string& name, std::vector<int64_t> shape, GgmlType type) {
  auto t = f.GetTensor(name);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ((*t)->n_dims, shape.size()) << name;
  for (size_t d = 0; d < shape.size(); ++d) EXPECT_EQ((*t)->ne[d], shape[d]) << name << " dim " << d;
  EXPECT_EQ(GgmlTypeName((*t)->type), GgmlTypeName(type)) << name;
}

TEST(GgufSharedFiles, ReferenceFixtureFacts) {
  if (!fs::is_directory(kRefDir)) GTEST_SKIP() << kRefDir << " absent";
  for (const RefModel& m : kRefModels) {
    for (const RefType& rt : kRefTypes) {
      const std::string path = kRefDir + "/" + m.stem + "/" + m.stem + "-" + rt.suffix + ".gguf";
      SCOPED_TRACE(path);
      auto f = OpenOrFail(path);
      if (!f) continue;
      const std::string a = m.arch + ".";
      EXPECT_EQ(f->GetString("general.architecture").value_or(""), m.arch);
      EXPECT_EQ(f->GetString("general.name").value_or(""), m.stem);
      EXPECT_EQ(f->GetU32("general.file_type").value_or(999), rt.file_type);
      EXPECT_EQ(f->GetU32(a + "vocab_size").value_or(0), 1024u);
      EXPECT_EQ(f->GetU32(a + "context_length").value_or(0), 512u);
      EXPECT_EQ(f->GetU32(a + "embedding_length").value_or(0), 256u);
      EXPECT_EQ(f->GetU32(a + "block_count").value_or(0), m.n_layer);
      EXPECT_EQ(f->GetU32(a + "feed_forward_length").value_or(0), 768u);
      EXPECT_EQ(f->GetU32(a + "attention.head_count").value_or(0), m.n_head);
      EXPECT_EQ(f->GetU32(a + "attention.head_count_kv").value_or(0), m.n_head_kv);
      EXPECT_EQ(f->GetU32(a + "rope.dimension_count").value_or(0), 256u / m.n_head);
      EXPECT_FLOAT_EQ(f->GetF32(a + "rope.freq_base").value_or(0), m.rope_base);
      EXPECT_FLOAT_EQ(f->GetF32(a + "attention.layer_norm_rms_epsilon").value_or(0), m.rms_eps);
      if (rt.file_type >= 2) {
        EXPECT_EQ(f->GetU32("general.quantization_version").value_or(0), 2u);
      }
      EXPECT_EQ(f->FindKeyOrNull(a + "rope.scaling.type"), nullptr);

      // Tokenizer: identical in all files.
      EXPECT_EQ(f->GetString("tokenizer.ggml.model").value_or(""), "gpt2");
      EXPECT_EQ(f->GetString("tokenizer.ggml.pre").value_or(""), "default");
      EXPECT_TRUE(f->GetBool("tokenizer.ggml.add_bos_token").value_or(false));
      EXPECT_FALSE(f->GetBool("tokenizer.ggml.add_eos_token").value_or(true));
      EXPECT_EQ(f->GetU32("tokenizer.ggml.bos_token_id").value_or(9), 1u);
      EXPECT_EQ(f->GetU32("tokenizer.ggml.eos_token_id").value_or(9), 2u);
      EXPECT_EQ(f->GetU32("tokenizer.ggml.unknown_token_id").value_or(9), 0u);
      EXPECT_EQ(f->FindKeyOrNull("tokenizer.ggml.scores"), nullptr);
      auto tokens = f->GetArray("tokenizer.ggml.tokens", GgufValueType::kString);
      ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
      ASSERT_EQ((*tokens)->count, 1024u);
      EXPECT_EQ((*tokens)->strings[0], "<unk>");
      EXPECT_EQ((*tokens)->strings[1], "<s>");
      EXPECT_EQ((*tokens)->strings[2], "</s>");
      EXPECT_EQ((*tokens)->strings[3 + ' '], "\xC4\xA0");   // byte 0x20 -> U+0120 'Ġ'
      EXPECT_EQ((*tokens)->strings[3 + 'a'], "a");
      EXPECT_EQ((*tokens)->strings[259], "\xC4\xA0" "a");
      EXPECT_EQ((*tokens)->strings[961], "<fill_0000>");
      EXPECT_EQ((*tokens)->strings[1023], "<fill_0062>");
      auto types = f->GetArray("tokenizer.ggml.token_type", GgufValueType::kI32);
      ASSERT_TRUE(types.ok()) << types.status().ToString();
      EXPECT_EQ((*types)->IntAt(0), 2);
      EXPECT_EQ((*types)->IntAt(1), 3);
      EXPECT_EQ((*types)->IntAt(500), 1);
      auto merges = f->GetArray("tokenizer.ggml.merges", GgufValueType::kString);
      ASSERT_TRUE(merges.ok()) << merges.status().ToString();
      ASSERT_EQ((*merges)->count, 702u);
      EXPECT_EQ((*merges)->strings[0], "\xC4\xA0 a");
      EXPECT_EQ((*merges)->strings[701], "z z");

      // Tensors.
      const size_t expected_tensors = 2 + (m.tied ? 0 : 1) + (m.has_rope_freqs ? 1 : 0) +
                                      m.n_layer * (9 + (m.has_bias ? 3 : 0));
      EXPECT_EQ(f->tensors().size(), expected_tensors);
      const int64_t hd = 256 / m.n_head, kv = m.n_head_kv * hd;
      // The output head gets the head type; an untied embedding keeps the nominal type.
      ExpectShape(*f, "token_embd.weight", {256, 1024}, m.tied ? rt.head : rt.matrix);
      ExpectShape(*f, "output_norm.weight", {256}, GgmlType::kF32);
      if (!m.tied) ExpectShape(*f, "output.weight", {256, 1024}, rt.head);
      EXPECT_EQ(f->FindTensorOrNull("output.weight") == nullptr, m.tied);
      for (uint32_t l = 0; l < m.n_layer; ++l) {
        const std::string b = "blk." + std::to_string(l) + ".";
        ExpectShape(*f, b + "attn_norm.weight", {256}, GgmlType::kF32);
        ExpectShape(*f, b + "attn_q.weight", {256, 256}, rt.matrix);
        ExpectShape(*f, b + "attn_k.weight", {256, kv}, rt.matrix);
        ExpectShape(*f, b + "attn_v.weight", {256, kv}, rt.attn_v);
        ExpectShape(*f, b + "attn_output.weight", {256, 256}, rt.matrix);
        ExpectShape(*f, b + "ffn_norm.weight", {256}, GgmlType::kF32);
        ExpectShape(*f, b + "ffn_gate.weight", {256, 768}, rt.matrix);
        ExpectShape(*f, b + "ffn_up.weight", {256, 768}, rt.matrix);
        ExpectShape(*f, b + "ffn_down.weight", {768, 256}, rt.matrix);
        if (m.has_bias) {
          ExpectShape(*f, b + "attn_q.bias", {256}, GgmlType::kF32);
          ExpectShape(*f, b + "attn_k.bias", {kv}, GgmlType::kF32);
          ExpectShape(*f, b + "attn_v.bias", {kv}, GgmlType::kF32);
        }
      }
      uint64_t n_params = 0;
      for (const auto& t : f->tensors()) n_params += t.n_elements;
      EXPECT_EQ(n_params, m.n_params);
    }
  }
}

TEST(GgufSharedFiles, RopeFreqsValuesPointIntoTheMap) {
  const std::string path = kRefDir + "/ref-llama-gqa-tied/ref-llama-gqa-tied-F32.gguf";
  if (!fs::exists(path)) GTEST_SKIP() << path << " absent";
  auto f = OpenOrFail(path);
  ASSERT_TRUE(f);
  auto t = f->GetTensor("rope_freqs.weight");
  ASSERT_TRUE(t.ok());
  ASSERT_EQ((*t)->n_elements, 16u);
  const float expected[16] = {1, 1, 1, 1, 1, 1, 1, 1, 2.6945298f, 8, 8, 8, 8, 8, 8, 8};
  for (int i = 0; i < 16; ++i) {
    float v;
    std::memcpy(&v, (*t)->data + 4 * i, 4);
    EXPECT_FLOAT_EQ(v, expected[i]) << i;
  }
}

TEST(GgufSharedFiles, Stories260KFacts) {
  const std::string dir = kShared + "/models/stories260K";
  if (!fs::is_directory(dir)) GTEST_SKIP() << dir << " absent";
  const std::map<std::string, uint32_t> file_types = {
      {"f32", 0}, {"f16", 1}, {"q4_0", 2}, {"q8_0", 7}, {"q4_k_m", 15}};
  for (const auto& [suffix, ftype] : file_types) {
    const std::string path = dir + "/stories260K-" + suffix + ".gguf";
    SCOPED_TRACE(path);
    auto f = OpenOrFail(path);
    if (!f) continue;
    if (ftype != 0) {
      EXPECT_EQ(f->GetU32("general.file_type").value_or(99), ftype);
    }
    EXPECT_EQ(f->GetU32("llama.embedding_length").value_or(0), 64u);
    EXPECT_EQ(f->GetU32("llama.block_count").value_or(0), 5u);
    EXPECT_EQ(f->GetU32("llama.attention.head_count").value_or(0), 8u);
    EXPECT_EQ(f->GetU32("llama.attention.head_count_kv").value_or(0), 4u);
    EXPECT_EQ(f->GetU32("llama.feed_forward_length").value_or(0), 172u);
    EXPECT_EQ(f->GetString("tokenizer.ggml.model").value_or(""), "llama");
    EXPECT_EQ(f->tensors().size(), 3u + 5u * 9u);
    ExpectShape(*f, "token_embd.weight", {64, 512},
                suffix == "f32" ? GgmlType::kF32 : suffix == "f16" ? GgmlType::kF16
                : suffix == "q4_0" ? GgmlType::kQ4_0 : suffix == "q8_0" ? GgmlType::kQ8_0
                : GgmlType::kQ5_0);
    // 172 is not a multiple of 32: ffn_down rows stay F16 in the quantized files.
    ExpectShape(*f, "blk.4.ffn_down.weight", {172, 64}, suffix == "f32" ? GgmlType::kF32 : GgmlType::kF16);
    auto scores = f->GetArray("tokenizer.ggml.scores", GgufValueType::kF32);
    ASSERT_TRUE(scores.ok());
    EXPECT_EQ((*scores)->count, 512u);
    // 0xFFFFFFFF "no separator" fits u32 and u64 but not i32.
    EXPECT_EQ(f->GetU32("tokenizer.ggml.seperator_token_id").value_or(0), 0xFFFFFFFFu);
    EXPECT_EQ(f->GetU64("tokenizer.ggml.seperator_token_id").value_or(0), 0xFFFFFFFFull);
    auto as_i32 = f->GetI32("tokenizer.ggml.seperator_token_id");
    ASSERT_FALSE(as_i32.ok());
    EXPECT_EQ(as_i32.status().code(), StatusCode::kOutOfRange);
    EXPECT_NE(as_i32.status().message().find("4294967295"), std::string::npos);
  }
}

TEST(GgufSharedFiles, VocabOnlyFilesHaveNoTensors) {
  const std::string path = kShared + "/models/vocab/ggml-vocab-gpt-2.gguf";
  if (!fs::exists(path)) GTEST_SKIP() << path << " absent";
  auto f = OpenOrFail(path);
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->tensors().empty());
  auto tokens = f->GetArray("tokenizer.ggml.tokens", GgufValueType::kString);
  ASSERT_TRUE(tokens.ok());
  EXPECT_EQ((*tokens)->count, 50257u);
  EXPECT_EQ((*tokens)->strings[0], "!");
  auto merges = f->GetArray("tokenizer.ggml.merges", GgufValueType::kString);
  ASSERT_TRUE(merges.ok());
  EXPECT_EQ((*merges)->count, 50000u);
  EXPECT_EQ((*merges)->strings[0], "\xC4\xA0 t");
  EXPECT_EQ(f->GetString("tokenizer.ggml.pre").value_or(""), "gpt-2");
}

TEST(GgufSharedFiles, TypedLookupErrorsNameKeyAndTypes) {
  const std::string path = kRefDir + "/ref-qwen2/ref-qwen2-Q8_0.gguf";
  if (!fs::exists(path)) GTEST_SKIP() << path << " absent";
  auto f = OpenOrFail(path);
  ASSERT_TRUE(f);
  auto wrong = f->GetU32("general.architecture");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("key 'general.architecture' has type string, expected an integer"),
            std::string::npos) << wrong.status().message();
  auto missing = f->GetString("general.nonexistent");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("general.nonexistent"), std::string::npos);
  auto arr = f->GetArray("tokenizer.ggml.tokens", GgufValueType::kI32);
  ASSERT_FALSE(arr.ok());
  EXPECT_NE(arr.status().message().find("has type array of string, expected array of i32"), std::string::npos)
      << arr.status().message();
  auto fl = f->GetF32("qwen2.block_count");
  ASSERT_FALSE(fl.ok());
  EXPECT_NE(fl.status().message().find("has type u32, expected f32 or f64"), std::string::npos);
  EXPECT_EQ(f->GetU32Or("qwen2.absent", 7).value_or(0), 7u);
  EXPECT_FALSE(f->GetU32Or("general.name", 7).ok());  // present with the wrong type
  EXPECT_EQ(f->GetStringOr("general.absent", "x").value_or(""), "x");
  EXPECT_FLOAT_EQ(f->GetF32Or("qwen2.rope.freq_base", 1.f).value_or(0), 1000000.f);
  auto t = f->GetTensor("blk.9.attn_q.weight");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kNotFound);
  EXPECT_NE(t.status().message().find("blk.9.attn_q.weight"), std::string::npos);
  const GgufKeyValue* kv = f->FindKeyOrNull("tokenizer.ggml.merges");
  ASSERT_NE(kv, nullptr);
  EXPECT_EQ(f->ValueToString(*kv, 2), "[\"\xC4\xA0 a\", \"\xC4\xA0 b\", ...] (702 string)");
  EXPECT_EQ(f->ValueToString(*f->FindKeyOrNull("general.name")), "\"ref-qwen2\"");
  EXPECT_EQ(f->ValueToString(*f->FindKeyOrNull("qwen2.block_count")), "2");
}

TEST(GgufOpen, MissingFileIsNotFound) {
  auto f = GgufFile::Open("/nonexistent/dir/model.gguf");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), StatusCode::kNotFound);
  EXPECT_NE(f.status().message().find("/nonexistent/dir/model.gguf"), std::string::npos);
}

}  // namespace
}  // namespace edgelm
