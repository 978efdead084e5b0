// `edgelm fit` run as a user runs it: JSON figures against the library's hand-checked
// ones, the real decode on this-machine, and errors that list the valid names.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "../cli/cli_runner.h"

namespace edgelm {
namespace {

using nlohmann::json;
using testing::RunEdgelm;
using testing::ShellQuote;

TEST(CliFit, ShapeOnAProfileAsJson) {
  auto r = RunEdgelm("fit --shape qwen2.5-0.5b --type F16 --device raspberry-pi-5-8gb --ctx 4096 -t 4 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["device"], "raspberry-pi-5-8gb");
  // 988,208,640 weights + 50,331,648 KV + 40,454,656 scratch + 67,108,864 overhead (fit_test.cpp).
  EXPECT_EQ(j["memory"]["total_bytes"], 1146103808u);
  EXPECT_EQ(j["fits"], true);
  EXPECT_EQ(j["max_ctx"], 32768);
  EXPECT_EQ(j["max_ctx_capped_by_training"], true);
  EXPECT_NEAR(j["prediction"]["decode_tokens_per_s_start"].get<double>(), 17.07e9 / 988208640.0, 1e-6);
  EXPECT_EQ(j["usable_memory_bytes"]["provenance"], "assumed");
  EXPECT_EQ(j["types"].size(), 6u);
  EXPECT_TRUE(j["measured"].is_null());
}

TEST(CliFit, TextNamesThePredictionAsSuch) {
  auto r = RunEdgelm("fit --shape llama-3.2-1b --device jetson-orin-nano-8gb --mode 7W");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("not a measurement"), std::string::npos);
  EXPECT_NE(r.out.find("Q4_K_M"), std::string::npos);
  EXPECT_NE(r.out.find("largest context"), std::string::npos);
}

TEST(CliFit, BadInputsListTheValidNames) {
  auto dev = RunEdgelm("fit --shape qwen2.5-0.5b --device toaster");
  EXPECT_NE(dev.exit_code, 0);
  EXPECT_NE(dev.err.find("raspberry-pi-4-4gb"), std::string::npos) << dev.err;
  auto preset = RunEdgelm("fit --shape gpt-17 --device laptop-x86");
  EXPECT_NE(preset.exit_code, 0);
  EXPECT_NE(preset.err.find("qwen2.5-0.5b"), std::string::npos) << preset.err;
  auto mode = RunEdgelm("fit --shape qwen2.5-0.5b --device jetson-orin-nano-8gb --mode 40W");
  EXPECT_NE(mode.exit_code, 0);
  EXPECT_NE(mode.err.find("25W"), std::string::npos) << mode.err;
  auto both = RunEdgelm("fit --device laptop-x86");
  EXPECT_EQ(both.exit_code, 2);
  auto kv = RunEdgelm("fit --shape qwen2.5-0.5b --device laptop-x86 --kv-type q3");
  EXPECT_NE(kv.exit_code, 0);
  auto type_with_file = RunEdgelm("fit -m x.gguf --type Q4_0 --device laptop-x86");
  EXPECT_EQ(type_with_file.exit_code, 2);
  auto missing = RunEdgelm("fit -m /nonexistent.gguf --device laptop-x86");
  EXPECT_EQ(missing.exit_code, 1);
}

TEST(CliFit, ThisMachineRunsARealDecode) {
  // A llama.cpp-written reference model (../shared) with a full tokenizer.
  const std::string model =
      std::string(EDGELM_SHARED_DIR) + "/fixtures/reference/ref-llama-mha/ref-llama-mha-Q8_0.gguf";
  if (!std::filesystem::exists(model)) GTEST_SKIP() << "no " << model << " (../shared absent)";
  auto r = RunEdgelm("fit -m " + ShellQuote(model) + " --device this-machine --ctx 256 -t 2 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["weights_from_file"], true);
  EXPECT_EQ(j["weight_type"], "Q8_0");
  EXPECT_EQ(j["prediction"]["memory_bandwidth_bytes_per_s"]["provenance"], "measured");
  EXPECT_EQ(j["usable_memory_bytes"]["provenance"], "measured");
  ASSERT_FALSE(j["measured"].is_null());
  EXPECT_GT(j["measured"]["decode_tokens_per_s"].get<double>(), 0);
  EXPECT_EQ(j["measured"]["decode_tokens"], 32);
  EXPECT_EQ(j["measured"]["threads"], 2);
  EXPECT_TRUE(j["measured"]["prediction_error"].is_number());
  // --no-run skips the measurement.
  auto quick = RunEdgelm("fit -m " + ShellQuote(model) + " --device this-machine --no-run --json");
  ASSERT_EQ(quick.exit_code, 0) << quick.err;
  EXPECT_TRUE(json::parse(quick.out)["measured"].is_null());
}

}  // namespace
}  // namespace edgelm
