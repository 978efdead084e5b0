// `edgelm run` end to end: dumped logits and greedy ids against the reference fixtures,
// streamed text of stories260K, exit codes (0 ok, 1 failure, 2 usage).
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace edgelm {
namespace {

namespace fs = std::filesystem;

const std::string kShared = EDGELM_SHARED_DIR;
const std::string kRef = kShared + "/fixtures/reference/ref-llama-gqa-tied";

struct RunResult {
  int exit_code = -1;
  std::string out;  // stdout only
};

RunResult Edgelm(const std::string& args, bool with_stderr = false, const std::string& stdin_text = "") {
  const std::string feed = stdin_text.empty() ? "" : "printf '" + stdin_text + "' | ";
  const std::string cmd =
      feed + std::string(EDGELM_BINARY_DIR) + "/bin/edgelm " + args + (with_stderr ? " 2>&1" : " 2>/dev/null");
  RunResult r;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) r.out.append(buf, n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string CommaIds(const std::string& path) {
  std::string s = Slurp(path);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char& c : s) {
    if (c == ' ') c = ',';
  }
  return s;
}

class RunCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::is_directory(kRef)) GTEST_SKIP() << "reference fixtures absent: " << kRef;
  }
};

TEST_F(RunCli, DumpLogitsMatchesReference) {
  const std::string out = (fs::temp_directory_path() / ("edgelm_run_cli_" + std::to_string(getpid()) + ".f32")).string();
  RunResult r = Edgelm("run -m " + kRef + "/ref-llama-gqa-tied-F32.gguf --tokens " + CommaIds(kRef + "/seqA.txt") +
                       " -n 0 --kv-type f32 -t 1 --dump-logits " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::string got = Slurp(out), ref = Slurp(kRef + "/ref-llama-gqa-tied-F32.seqA.logits.f32");
  fs::remove(out);
  ASSERT_EQ(got.size(), ref.size());
  ASSERT_EQ(got.size(), 16u * 1024 * 4);
  double max_abs = 0;
  for (size_t i = 0; i < got.size() / 4; ++i) {
    float a, b;
    std::memcpy(&a, got.data() + 4 * i, 4);
    std::memcpy(&b, ref.data() + 4 * i, 4);
    max_abs = std::max(max_abs, static_cast<double>(std::fabs(a - b)));
  }
  EXPECT_LE(max_abs, 1e-4);
}

TEST_F(RunCli, JsonGreedyIdsMatchReference) {
  RunResult r = Edgelm("run -m " + kRef + "/ref-llama-gqa-tied-F16.gguf --tokens " + CommaIds(kRef + "/seqB.txt") +
                       " -n 16 --temp 0 --kv-type f32 -t 1 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  std::string ids;
  for (const auto& t : j["generated"]) {
    if (!ids.empty()) ids += ',';
    ids += std::to_string(t["id"].get<int>());
    EXPECT_LE(t["logprob"].get<double>(), 0.0);
  }
  EXPECT_EQ(ids, CommaIds(kRef + "/ref-llama-gqa-tied-F16.seqB.greedy.txt"));
  EXPECT_EQ(j["prompt_ids"].size(), 64u);
  EXPECT_EQ(j["stop_reason"], "length");
  EXPECT_EQ(j["decode"]["tokens"], 15);
}

TEST_F(RunCli, StreamsStoriesText) {
  const std::string model = kShared + "/models/stories260K/stories260K-f32.gguf";
  RunResult r = Edgelm("run -m " + model + " -p 'Once upon a time' -n 40 --temp 0 -t 1");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out.rfind(", there was a little girl named Lily. She loved to play outside in the park.", 0), 0u)
      << r.out;
}

TEST_F(RunCli, ChatKeepsTheCacheBetweenTurns) {
  const std::string model = kShared + "/models/stories260K/stories260K-f32.gguf";
  RunResult r = Edgelm("chat -m " + model + " --chat-template chatml -n 12 --temp 0 -t 1", true,
                       "Tell me a story\\nAnother one\\n");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  // Turn 1 starts from an empty cache; turn 2 adds only its own message to the 12-token
  // reply and the turn close already cached.
  EXPECT_NE(r.out.find("new prompt tokens on 0 cached; 12 generated"), std::string::npos) << r.out;
  const size_t second = r.out.find("new prompt tokens on ", r.out.find("on 0 cached") + 1);
  ASSERT_NE(second, std::string::npos) << r.out;
  EXPECT_NE(r.out.compare(second, 24, "new prompt tokens on 0 c"), 0) << r.out;
  // stories260K has no chat template of its own.
  r = Edgelm("chat -m " + model + " -t 1", true, "hi\\n");
  EXPECT_EQ(r.exit_code, 1) << r.out;
}

TEST_F(RunCli, ExitCodes) {
  const std::string model = kRef + "/ref-llama-gqa-tied-Q4_0.gguf";
  EXPECT_EQ(Edgelm("run -m /nonexistent/m.gguf -p hi").exit_code, 1);
  EXPECT_EQ(Edgelm("run -m " + model).exit_code, 2);                         // no prompt
  EXPECT_EQ(Edgelm("run -m " + model + " --tokens 1,x").exit_code, 2);       // bad id list
  EXPECT_EQ(Edgelm("run -m " + model + " --tokens 1 --kv-type q4").exit_code, 2);
  RunResult r = Edgelm("run -m " + model + " --tokens 1,5000 -t 1", true);  // id beyond the vocabulary
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("5000"), std::string::npos) << r.out;
  r = Edgelm("run -m " + model + " --tokens 1,2,3,4,5 --ctx 4 -t 1", true);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("context of 4"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace edgelm
