// `edgelm tokenize` end to end: output, exit codes (0 ok, 1 failure, 2 usage).
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "test_util.h"

namespace edgelm {
namespace {

struct RunResult {
  int exit_code;
  std::string output;  // stdout and stderr
};

RunResult RunEdgelm(const std::string& args) {
  const std::string cmd = std::string(EDGELM_BINARY_DIR) + "/bin/edgelm " + args + " 2>&1";
  RunResult r{-1, {}};
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) r.output.append(buf, n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

const char* kFixture = "fixtures/reference/ref-llama-mha/ref-llama-mha-F32.gguf";

TEST(TokenizeCli, PrintsIds) {
  if (!testing::SharedExists(kFixture)) GTEST_SKIP() << "../shared/" << kFixture << " is absent";
  const std::string model = testing::SharedPath(kFixture);
  RunResult r = RunEdgelm("tokenize -m '" + model + "' -p ' the quick brown fox' --no-bos");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "278 471 275 813 347 260 117 671 113 264 672\n");

  r = RunEdgelm("tokenize -m '" + model + "' -p ' the'");  // the model adds BOS
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "1 278 471\n");

  r = RunEdgelm("tokenize -m '" + model + "' -p '<s> the' --special --no-bos --pieces");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "      1 '<s>'\n    278 ' t'\n    471 'he'\n");

  r = RunEdgelm("tokenize -m '" + model + "' -p ' the' --json --pieces");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("\"ids\": ["), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("\" t\""), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("\"n_tokens\": 3"), std::string::npos) << r.output;
}

TEST(TokenizeCli, ExitCodes) {
  RunResult r = RunEdgelm("tokenize -m /nonexistent/model.gguf -p hi");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("/nonexistent/model.gguf"), std::string::npos) << r.output;

  r = RunEdgelm("tokenize -p hi");  // no model
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = RunEdgelm("tokenize -m x.gguf -p hi --no-such-flag");
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

}  // namespace
}  // namespace edgelm
