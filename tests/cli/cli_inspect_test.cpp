// `edgelm inspect` run as a user runs it, checked against the facts the fixture README
// and the stories260K files state.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli_runner.h"

namespace edgelm {
namespace {

using nlohmann::json;
using testing::RunEdgelm;
using testing::ShellQuote;

const std::string kShared = EDGELM_SHARED_DIR;
const std::string kRef = kShared + "/fixtures/reference";

json InspectJson(const std::string& path, const std::string& extra = "") {
  const auto r = RunEdgelm("inspect --json " + extra + " " + ShellQuote(path));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  return json::parse(r.out, nullptr, /*allow_exceptions=*/false);
}

struct RefModel {
  std::string stem;
  std::string arch;
  uint64_t n_layer, n_head, n_head_kv, n_params;
  uint64_t sizes[7];  // file sizes from the README, in kTypes order
};
const RefModel kModels[] = {
    {"ref-llama-mha", "llama", 2, 4, 4, 2229504,
     {8942912, 4486496, 2397536, 1351008, 1367392, 1596768, 1857888}},
    {"ref-llama-gqa-tied", "llama", 3, 8, 2, 2524944,
     {10125184, 5078976, 2713536, 1519552, 1525696, 1802176, 2102464}},
    {"ref-qwen2", "qwen2", 2, 8, 2, 1771520, {7111200, 3572320, 1913440, 1096288, 1100384, 1284704, 1484896}},
};
const char* kTypes[] = {"F32", "F16", "Q8_0", "Q4_0", "Q4_K_S", "Q5_K_S", "Q6_K"};
const int kFileTypeIds[] = {0, 1, 7, 2, 14, 16, 18};

TEST(CliInspect, ReferenceFixturesMatchReadme) {
  if (!std::filesystem::is_directory(kRef)) GTEST_SKIP() << kRef << " absent";
  for (const RefModel& m : kModels) {
    for (int t = 0; t < 7; ++t) {
      const std::string path = kRef + "/" + m.stem + "/" + m.stem + "-" + kTypes[t] + ".gguf";
      SCOPED_TRACE(path);
      const json j = InspectJson(path);
      ASSERT_FALSE(j.is_discarded());
      EXPECT_EQ(j["architecture"], m.arch);
      EXPECT_EQ(j["name"], m.stem);
      EXPECT_EQ(j["file_type"]["id"], kFileTypeIds[t]);
      EXPECT_EQ(j["file_type"]["name"], kTypes[t]);
      EXPECT_EQ(j["parameters"], m.n_params);
      EXPECT_EQ(j["file_size_bytes"], m.sizes[t]);
      EXPECT_EQ(j["gguf_version"], 3);
      const std::string a = m.arch + ".";
      EXPECT_EQ(j["hyperparameters"][a + "block_count"], m.n_layer);
      EXPECT_EQ(j["hyperparameters"][a + "attention.head_count_kv"], m.n_head_kv);
      EXPECT_EQ(j["hyperparameters"][a + "context_length"], 512);
      EXPECT_EQ(j["tokenizer"]["model"], "gpt2");
      EXPECT_EQ(j["tokenizer"]["pre"], "default");
      EXPECT_EQ(j["tokenizer"]["vocab_size"], 1024);
      EXPECT_EQ(j["tokenizer"]["merges"], 702);
      EXPECT_EQ(j["tokenizer"]["special_tokens"]["bos"]["id"], 1);
      EXPECT_EQ(j["tokenizer"]["special_tokens"]["bos"]["text"], "<s>");
      EXPECT_EQ(j["tokenizer"]["special_tokens"]["eos"]["text"], "</s>");
      EXPECT_EQ(j["tokenizer"]["special_tokens"]["unknown"]["text"], "<unk>");
      EXPECT_EQ(j["tokenizer"]["chat_template"], false);
      const uint64_t head_dim = 256 / m.n_head;
      EXPECT_EQ(j["kv_cache"]["f16_bytes_per_1024_tokens"], 2 * m.n_layer * 1024 * m.n_head_kv * head_dim * 2);
      EXPECT_EQ(j["kv_cache"]["f32_bytes_per_1024_tokens"], 2 * m.n_layer * 1024 * m.n_head_kv * head_dim * 4);
      // 1-D tensors stay F32: norms, plus rope_freqs or the qwen2 biases.
      const uint64_t n_f32 = 1 + 2 * m.n_layer + (m.stem == "ref-llama-gqa-tied" ? 1 : 0) +
                             (m.arch == "qwen2" ? 3 * m.n_layer : 0);
      if (std::string(kTypes[t]) != "F32") {
        EXPECT_EQ(j["tensor_types"]["F32"]["tensors"], n_f32);
      }
      uint64_t params = 0, bytes = 0;
      for (const auto& [type, st] : j["tensor_types"].items()) {
        params += st["parameters"].get<uint64_t>();
        bytes += st["bytes"].get<uint64_t>();
      }
      EXPECT_EQ(params, m.n_params);
      EXPECT_EQ(bytes, j["tensor_bytes"].get<uint64_t>());
      EXPECT_NEAR(j["bits_per_weight"].get<double>(), bytes * 8.0 / m.n_params, 1e-9);
    }
  }
}

TEST(CliInspect, TensorHistogramOfQ4KS) {
  const std::string path = kRef + "/ref-llama-gqa-tied/ref-llama-gqa-tied-Q4_K_S.gguf";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " absent";
  const json j = InspectJson(path, "--tensors");
  // README: blocks Q4_K, attn_v Q5_K, the tied head (token_embd) Q6_K, 1-D tensors F32.
  EXPECT_EQ(j["tensor_types"]["Q4_K"]["tensors"], 3 * 6);
  EXPECT_EQ(j["tensor_types"]["Q5_K"]["tensors"], 3);
  EXPECT_EQ(j["tensor_types"]["Q6_K"]["tensors"], 1);
  EXPECT_EQ(j["tensor_types"]["F32"]["tensors"], 8);
  ASSERT_EQ(j["tensors"].size(), 30u);
  bool found = false;
  for (const auto& t : j["tensors"]) {
    if (t["name"] == "token_embd.weight") {
      found = true;
      EXPECT_EQ(t["type"], "Q6_K");
      EXPECT_EQ(t["shape"], json({256, 1024}));
      EXPECT_EQ(t["parameters"], 262144);
      EXPECT_EQ(t["bytes"], 1024 * 210);
    }
  }
  EXPECT_TRUE(found);
}

TEST(CliInspect, Stories260K) {
  const std::string dir = kShared + "/models/stories260K";
  if (!std::filesystem::is_directory(dir)) GTEST_SKIP() << dir << " absent";
  const std::pair<const char*, json> files[] = {{"f32", nullptr}, {"f16", "F16"}, {"q4_0", "Q4_0"},
                                                {"q8_0", "Q8_0"}, {"q4_k_m", "Q4_K_M"}};
  for (const auto& [suffix, ftype] : files) {
    SCOPED_TRACE(suffix);
    const json j = InspectJson(dir + "/stories260K-" + suffix + ".gguf");
    // 2 x 64x512 (embedding, output) + 64 + 5 x (2 x 64x64 + 2 x 64x32 + 3 x 64x172 + 2 x 64).
    EXPECT_EQ(j["parameters"], 292800);
    if (ftype.is_null()) {
      EXPECT_TRUE(j["file_type"].is_null());
    } else {
      EXPECT_EQ(j["file_type"]["name"], ftype);
    }
    EXPECT_EQ(j["tokenizer"]["model"], "llama");
    EXPECT_EQ(j["tokenizer"]["vocab_size"], 512);
    EXPECT_TRUE(j["tokenizer"]["special_tokens"]["padding"]["text"].is_null());  // id 0xFFFFFFFF
    // 2 x 5 layers x 1,024 x 4 KV heads x head_dim 8 x 2 bytes.
    EXPECT_EQ(j["kv_cache"]["f16_bytes_per_1024_tokens"], 655360);
  }
}

TEST(CliInspect, VocabOnlyFiles) {
  const std::string dir = kShared + "/models/vocab";
  if (!std::filesystem::is_directory(dir)) GTEST_SKIP() << dir << " absent";
  const std::pair<const char*, int> files[] = {{"gpt-2", 50257}, {"llama-spm", 32000}, {"phi-3", 32064}};
  for (const auto& [name, vocab] : files) {
    SCOPED_TRACE(name);
    const json j = InspectJson(dir + "/ggml-vocab-" + name + ".gguf");
    EXPECT_EQ(j["tensor_count"], 0);
    EXPECT_EQ(j["parameters"], 0);
    EXPECT_TRUE(j["bits_per_weight"].is_null());
    EXPECT_EQ(j["tokenizer"]["vocab_size"], vocab);
  }
  const json phi = InspectJson(dir + "/ggml-vocab-phi-3.gguf");
  EXPECT_EQ(phi["tokenizer"]["chat_template"], true);
  EXPECT_EQ(phi["file_type"]["name"], "F16");
  // 32 layers x 32 KV heads x (96 + 96) x 1,024 x 2 bytes.
  EXPECT_EQ(phi["kv_cache"]["f16_bytes_per_1024_tokens"], 32ull * 32 * 192 * 1024 * 2);
}

TEST(CliInspect, TextReport) {
  const std::string path = kRef + "/ref-llama-mha/ref-llama-mha-Q8_0.gguf";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " absent";
  const auto r = RunEdgelm("inspect --tensors " + ShellQuote(path));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* want : {"architecture:     llama", "file type:        Q8_0 (7)", "parameters:       2,229,504",
                           "llama.rope.freq_base = 10000", "special tokens:   unknown 0 \"<unk>\", bos 1 \"<s>\"",
                           "chat template:    no", "F16 2,097,152 bytes (2.00 MiB)", "blk.1.ffn_down.weight"}) {
    EXPECT_NE(r.out.find(want), std::string::npos) << "missing '" << want << "' in\n" << r.out;
  }
}

TEST(CliInspect, ErrorsAndExitCodes) {
  auto missing = RunEdgelm("inspect /nonexistent/model.gguf");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("cannot open '/nonexistent/model.gguf'"), std::string::npos) << missing.err;
  EXPECT_TRUE(missing.out.empty());

  auto not_gguf = RunEdgelm("inspect " + ShellQuote(std::string(EDGELM_SOURCE_DIR) + "/CMakeLists.txt"));
  EXPECT_EQ(not_gguf.exit_code, 1);
  EXPECT_NE(not_gguf.err.find("bad magic at byte 0"), std::string::npos) << not_gguf.err;
  EXPECT_NE(not_gguf.err.find("not a GGUF file?"), std::string::npos);

  EXPECT_EQ(RunEdgelm("inspect --no-such-flag x.gguf").exit_code, 2);
  EXPECT_EQ(RunEdgelm("inspect").exit_code, 2);
  EXPECT_EQ(RunEdgelm("inspect a.gguf b.gguf").exit_code, 2);
  EXPECT_EQ(RunEdgelm("no-such-command").exit_code, 2);
}

}  // namespace
}  // namespace edgelm
