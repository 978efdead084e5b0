// `edgelm synth` run as a user runs it: files that `inspect` reads back with the shape's
// parameter count, byte-identical for a seed, and usage errors with exit code 2.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_runner.h"

namespace edgelm {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::RunEdgelm;
using testing::ShellQuote;

class CliSynth : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("edgelm_cli_synth_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string File(const std::string& n) const { return (dir_ / n).string(); }
  fs::path dir_;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

const char* kSmall = "--arch llama --n-embd 128 --n-layer 2 --n-head 4 --n-head-kv 2 --n-ff 256 --n-vocab 400 --ctx 64";

TEST_F(CliSynth, CustomShapeIsDeterministicAndInspectable) {
  const std::string a = File("a.gguf"), b = File("b.gguf"), c = File("c.gguf");
  auto ra = RunEdgelm(std::string("synth ") + kSmall + " --type Q8_0 --seed 5 -o " + ShellQuote(a));
  ASSERT_EQ(ra.exit_code, 0) << ra.err;
  EXPECT_NE(ra.out.find("wrote " + a), std::string::npos) << ra.out;
  ASSERT_EQ(RunEdgelm(std::string("synth ") + kSmall + " --type Q8_0 --seed 5 -o " + ShellQuote(b)).exit_code, 0);
  ASSERT_EQ(RunEdgelm(std::string("synth ") + kSmall + " --type Q8_0 --seed 6 -o " + ShellQuote(c)).exit_code, 0);
  EXPECT_EQ(Slurp(a), Slurp(b));
  EXPECT_NE(Slurp(a), Slurp(c));

  const auto r = RunEdgelm("inspect --json " + ShellQuote(a));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  // 2 x 400x128 (untied) + 128 + 2 x (128x128 x2 + 128x64 x2 + 128x256 x3 + 2 x 128).
  const uint64_t expected = 2 * 400 * 128 + 128 + 2 * (2 * 128 * 128 + 2 * 128 * 64 + 3 * 128 * 256 + 2 * 128);
  EXPECT_EQ(j["parameters"], expected);
  EXPECT_EQ(j["file_type"]["name"], "Q8_0");
  EXPECT_EQ(j["tensor_types"]["Q8_0"]["tensors"], 2 + 2 * 7);
  EXPECT_EQ(j["tokenizer"]["model"], "gpt2");
  EXPECT_EQ(j["tokenizer"]["vocab_size"], 400);
  EXPECT_EQ(j["tokenizer"]["merges"], 0);
  EXPECT_EQ(j["tokenizer"]["special_tokens"]["eos"]["text"], "</s>");
  EXPECT_EQ(j["hyperparameters"]["llama.context_length"], 64);
  EXPECT_EQ(j["kv_cache"]["f16_bytes_per_1024_tokens"], 2 * 2 * 1024 * 2 * 32 * 2);
}

// A preset small enough to write in a test: inspect reports its parameter count, which is
// the llama2.c stories15M count (published as "15M").
TEST_F(CliSynth, Stories15MPresetRoundTripsThroughInspect) {
  const std::string path = File("s15.gguf");
  auto w = RunEdgelm("synth stories15m --type Q4_0 --seed 1 -o " + ShellQuote(path));
  ASSERT_EQ(w.exit_code, 0) << w.err;
  const auto r = RunEdgelm("inspect --json " + ShellQuote(path));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["parameters"], 15191712);
  EXPECT_NEAR(j["parameters"].get<double>() / 15e6, 1.0, 0.02);
  EXPECT_EQ(j["name"], "stories15M");
  EXPECT_EQ(j["file_type"]["name"], "Q4_0");
  EXPECT_EQ(j["hyperparameters"]["llama.embedding_length"], 288);
  EXPECT_EQ(j["tokenizer"]["vocab_size"], 32000);
  EXPECT_EQ(j["tensor_count"], 2 + 6 * 9);  // tied: no output.weight
}

TEST_F(CliSynth, ListPresets) {
  const auto r = RunEdgelm("synth --list-presets");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* name : {"stories15m", "stories110m", "smollm2-135m", "smollm2-360m", "qwen2.5-0.5b",
                           "qwen2.5-1.5b", "llama-3.2-1b", "llama-3.2-3b", "tinyllama-1.1b", "494032768"}) {
    EXPECT_NE(r.out.find(name), std::string::npos) << name;
  }
}

TEST_F(CliSynth, UsageErrorsExitTwo) {
  const std::string out = ShellQuote(File("x.gguf"));
  struct Case {
    std::string args;
    std::string message;
  };
  const Case cases[] = {
      {"synth no-such-model -o " + out, "unknown synth preset 'no-such-model'"},
      {"synth stories15m --type Q9_9 -o " + out, "--type 'Q9_9'"},
      {"synth stories15m --type IQ2_XXS -o " + out, "--type 'IQ2_XXS'"},
      {"synth stories15m", "-o FILE is required"},
      {"synth --n-embd 64 -o " + out, "missing --n-layer --n-head --n-ff --n-vocab"},
      {"synth stories15m --n-head 7 -o " + out, "n_embd 288 is not a multiple of n_head 7"},
      {"synth stories15m --tied --untied -o " + out, "contradict"},
      {"synth stories15m --bogus -o " + out, "--bogus"},
      {"synth stories15m --seed minus -o " + out, "--seed"},
  };
  for (const auto& c : cases) {
    const auto r = RunEdgelm(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << "\n" << r.err;
  }
  EXPECT_FALSE(fs::exists(File("x.gguf")));
}

TEST_F(CliSynth, FailuresExitOne) {
  auto bad_vocab = RunEdgelm(std::string("synth ") + kSmall + " --vocab-from " +
                             ShellQuote(std::string(EDGELM_SOURCE_DIR) + "/CMakeLists.txt") + " -o " +
                             ShellQuote(File("v.gguf")));
  EXPECT_EQ(bad_vocab.exit_code, 1);
  EXPECT_NE(bad_vocab.err.find("--vocab-from"), std::string::npos) << bad_vocab.err;
  EXPECT_NE(bad_vocab.err.find("bad magic"), std::string::npos) << bad_vocab.err;
  auto no_dir = RunEdgelm(std::string("synth ") + kSmall + " -o /nonexistent/dir/m.gguf");
  EXPECT_EQ(no_dir.exit_code, 1);
  EXPECT_NE(no_dir.err.find("cannot create '/nonexistent/dir/m.gguf'"), std::string::npos) << no_dir.err;
}

}  // namespace
}  // namespace edgelm
