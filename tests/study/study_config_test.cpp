// The study file: the built-in default equals data/studies/default.toml, every example
// parses, and bad files are errors that name the key.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "study/model_prep.h"
#include "study/study_config.h"

namespace edgelm::study {
namespace {

namespace fs = std::filesystem;

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(StudyConfigTest, BuiltInDefaultIsTheShippedFile) {
  EXPECT_EQ(DefaultStudyToml(), Read(std::string(EDGELM_SOURCE_DIR) + "/data/studies/default.toml"));
  auto c = ParseStudyConfig(DefaultStudyToml(), "default");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->models, (std::vector<std::string>{"synth:smollm2-135m", "synth:qwen2.5-0.5b"}));
  EXPECT_EQ(c->weight_types, (std::vector<std::string>{"F16", "Q8_0", "Q4_0"}));
  EXPECT_EQ(c->threads, (std::vector<int>{1, 0}));
  EXPECT_EQ(c->contexts, (std::vector<uint32_t>{128, 1024, 4096}));
  EXPECT_TRUE(c->request);
  EXPECT_EQ(c->energy_source, "auto");
  EXPECT_TRUE(c->quality_models.empty());
  // Cloud prices: none of its own; the shipped table is read when the study runs.
  EXPECT_TRUE(c->prices.cloud.empty());
  EXPECT_TRUE(c->cloud_table.empty());
  EXPECT_EQ(*c->prices.device_usd, 800);
  EXPECT_FALSE(c->memory_budget_bytes);
}

TEST(StudyConfigTest, EveryExampleParses) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(std::string(EDGELM_SOURCE_DIR) + "/data/studies")) {
    if (e.path().extension() != ".toml") continue;
    auto c = ParseStudyConfig(Read(e.path().string()), e.path().string());
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    ++n;
  }
  EXPECT_GE(n, 2);
}

TEST(StudyConfigTest, ValuesAreRead) {
  auto c = ParseStudyConfig(R"(
name = "mine"
[models]
list = ["a.gguf"]
[bench]
threads = [2, 4]
contexts = [256]
n_prompt = 128
n_gen = 64
repetitions = 5
warmups = 0
request = false
[quality]
models = ["q.gguf"]
text = "wiki.txt"
chunks = 8
kld = false
[energy]
source = "estimate"
device_profile = "raspberry-pi-5-8gb"
interval_ms = 100
[budget]
memory_mib = 4096
power_watts = 7.5
[prices]
device_usd = 80
electricity_usd_per_kwh = 0.3
[hooks]
before = "echo hi"
)", "mine.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->name, "mine");
  EXPECT_EQ(c->threads, (std::vector<int>{2, 4}));
  EXPECT_EQ(c->contexts, (std::vector<uint32_t>{256}));
  EXPECT_EQ(c->n_prompt, 128u);
  EXPECT_EQ(c->warmups, 0);
  EXPECT_FALSE(c->request);
  EXPECT_FALSE(c->quality_kld);
  EXPECT_EQ(c->quality_chunks, 8u);
  EXPECT_EQ(*c->memory_budget_bytes, 4096ull << 20);
  EXPECT_DOUBLE_EQ(*c->power_budget_watts, 7.5);
  EXPECT_DOUBLE_EQ(*c->prices.device_usd, 80);
  EXPECT_EQ(c->hook_before, "echo hi");
  EXPECT_EQ(c->device_profile, "raspberry-pi-5-8gb");
}

struct BadCase {
  const char* text;
  const char* expect;
};

TEST(StudyConfigTest, BadFilesNameTheProblem) {
  const BadCase cases[] = {
      {"[models]\nlist = []\n", "models.list is empty"},
      {"[models]\nlist = [\"a\"]\n[bench]\nthreds = [1]\n", "unknown key 'bench.threds'"},
      {"[models]\nlist = [\"a\"]\n[bench]\nthreads = [\"1\"]\n", "bench.threads"},
      {"[models]\nlist = [\"a\"]\n[bench]\nn_gen = 1.5\n", "bench.n_gen"},
      {"[models]\nlist = [\"a\"]\n[bench]\nrepetitions = 0\n", "bench.repetitions"},
      {"[models]\nlist = [\"a\"]\n[energy]\nsource = \"magic\"\n", "energy.source 'magic'"},
      {"[models]\nlist = [\"a\"]\n[[prices.cloud]]\nname = \"x\"\noutput_usd_per_1m = 1\n", "unknown key 'name'"},
      {"[models]\nlist = [\"a\"]\n[[prices.cloud]]\nprovider = \"A\"\nmodel = \"m\"\ninput_usd_per_mtok = 1\n"
       "output_usd_per_mtok = 1\nsource = \"s\"\n", "needs a non-empty string 'date'"},
      {"[models]\nlist = [\"a\"]\n[prices]\ncloud_table = \"t.toml\"\n[[prices.cloud]]\nprovider = \"A\"\n",
       "not both"},
      {"[models]\nlist = [\"a\"]\n[prices]\nduty_cycle = 2\n", "prices.duty_cycle"},
      {"bench = 3\n[models]\nlist = [\"a\"]\n", "'bench' must be a table"},
      {"[models\nlist = 1\n", "bad.toml:1"},
      {"colour = \"red\"\n[models]\nlist = [\"a\"]\n", "unknown key 'colour'"},
      {"[models]\nlist = [\"a\"]\n[quality]\ntasks = [\"hellaswag\", \"trivia:10\"]\n",
       "quality.tasks: unknown task 'trivia' in 'trivia:10' (known: "},
      {"[models]\nlist = [\"a\"]\n[quality]\ntasks = [\"arc_easy:0\"]\n", "quality.tasks: bad task 'arc_easy:0'"},
      {"[models]\nlist = [\"a\"]\n[quality]\ntasks = [\"arc_easy:ten\"]\n", "quality.tasks: bad task 'arc_easy:ten'"},
      {"[models]\nlist = [\"a\"]\n[quality]\ntasks = [\"arc_easy:-5\"]\n", "quality.tasks: bad task"},
      {"[models]\nlist = [\"a\"]\n[quality]\ntasks = \"hellaswag\"\n", "quality.tasks: expected an array of strings"},
      {"[models]\nlist = [\"a\"]\n[quality]\ntasks = [3]\n", "quality.tasks: expected an array of strings"},
      {"[models]\nlist = [\"a\"]\n[quality]\nsamples = \"yes\"\n", "quality.samples: expected true or false"},
      {"[models]\nlist = [\"a\"]\n[quality]\nshots = 9\n", "quality.shots"},
      {"[models]\nlist = [\"a\"]\n[quality]\nsample = true\n", "unknown key 'quality.sample'"},
  };
  for (const auto& c : cases) {
    auto r = ParseStudyConfig(c.text, "bad.toml");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos) << r.status().message();
  }
}

TEST(StudyConfigTest, CloudPricesInTheTableFormat) {
  auto c = ParseStudyConfig(R"([models]
list = ["a"]
[[prices.cloud]]
provider = "Acme"
model = "small"
input_usd_per_mtok = 0.1
output_usd_per_mtok = 0.4
date = "2026-01-02"
source = "https://acme.example/pricing"
)", "s.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->prices.cloud.size(), 1u);
  EXPECT_EQ(c->prices.cloud[0].provider, "Acme");
  EXPECT_DOUBLE_EQ(c->prices.cloud[0].output_usd_per_mtok, 0.4);
  EXPECT_EQ(c->prices.cloud[0].date, "2026-01-02");
  EXPECT_NE(c->prices.cloud_table.find("s.toml"), std::string::npos);
  auto t = ParseStudyConfig("[models]\nlist = [\"a\"]\n[prices]\ncloud_table = \"/x/p.toml\"\n", "s.toml");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->cloud_table, "/x/p.toml");
  EXPECT_TRUE(t->prices.cloud.empty());
}

TEST(StudyConfigTest, QualityTasksAndSamplesAreRead) {
  auto c = ParseStudyConfig(R"(
[models]
list = ["a.gguf"]
[quality]
models = ["q.gguf"]
tasks = ["hellaswag:200", "arc_easy", "lambada:50"]
data_dir = "/data/eval"
shots = 3
samples = true
prompts_dir = "/data/prompts"
)", "q.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->quality_tasks.size(), 3u);
  EXPECT_EQ(c->quality_tasks[0].name, "hellaswag");
  EXPECT_EQ(c->quality_tasks[0].limit, 200u);
  EXPECT_EQ(c->quality_tasks[1].name, "arc_easy");
  EXPECT_EQ(c->quality_tasks[1].limit, 0u);
  EXPECT_EQ(c->quality_tasks[2].Spec(), "lambada:50");
  EXPECT_EQ(c->quality_data_dir, "/data/eval");
  EXPECT_EQ(c->quality_shots, 3);
  EXPECT_TRUE(c->quality_samples);
  EXPECT_EQ(c->quality_prompts_dir, "/data/prompts");
  // The defaults: no tasks, no samples (the built-in study has no real weights).
  auto d = ParseStudyConfig(DefaultStudyToml(), "default");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_TRUE(d->quality_tasks.empty());
  EXPECT_FALSE(d->quality_samples);
  EXPECT_EQ(d->quality_shots, 5);
  // A named directory that is not there is an error naming it; the prompt suite ships
  // with the sources.
  EXPECT_EQ(QualityDataDir(*c).status().code(), StatusCode::kNotFound);
  EXPECT_NE(QualityDataDir(*c).status().message().find("/data/eval"), std::string::npos);
  StudyConfig plain;
  auto prompts = QualityPromptsDir(plain);
  ASSERT_TRUE(prompts.ok()) << prompts.status().ToString();
  EXPECT_TRUE(fs::exists(fs::path(*prompts) / "01-instructions.txt")) << *prompts;
}

TEST(StudyConfigTest, ParseQualityTaskNamesTheFlag) {
  auto t = ParseQualityTask("piqa:7", "--quality-task");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->name, "piqa");
  EXPECT_EQ(t->limit, 7u);
  auto bad = ParseQualityTask("piqa:", "--quality-task");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message().rfind("--quality-task: bad task 'piqa:'", 0), 0u) << bad.status().message();
  EXPECT_FALSE(ParseQualityTask("", "--quality-task").ok());
  EXPECT_FALSE(ParseQualityTask("piqa:99999999999", "--quality-task").ok());
}

TEST(StudyConfigTest, QuickReplacesSynthModelsWithASmallShape) {
  auto c = ParseStudyConfig(DefaultStudyToml(), "default");
  ASSERT_TRUE(c.ok());
  c->models.push_back("/my/model.gguf");
  ApplyQuick(&*c);
  EXPECT_EQ(c->models, (std::vector<std::string>{"synth:stories15m", "/my/model.gguf"}));
  EXPECT_NE(c->name.find("quick"), std::string::npos);
  EXPECT_EQ(c->contexts, (std::vector<uint32_t>{128, 256}));
  EXPECT_EQ(c->threads, (std::vector<int>{1}));
}

TEST(StudyConfigTest, CacheDirFollowsXdg) {
  StudyConfig c;
  c.cache_dir = "/x/y";
  EXPECT_EQ(*CacheDir(c), "/x/y");
  c.cache_dir.clear();
  ::setenv("XDG_CACHE_HOME", "/tmp/xdgc", 1);
  EXPECT_EQ(*CacheDir(c), "/tmp/xdgc/edgelm");
  ::unsetenv("XDG_CACHE_HOME");
}

const std::string kStories = std::string(EDGELM_SHARED_DIR) + "/models/stories260K";

TEST(RequantizeTest, F32FileToQ8_0AndRefusesQuantizedSource) {
  if (!fs::exists(kStories)) GTEST_SKIP() << "../shared is absent: " << kStories;
  const std::string dst = (fs::temp_directory_path() / ("edgelm_requant_" + std::to_string(::getpid()) + ".gguf")).string();
  ASSERT_TRUE(RequantizeFile(kStories + "/stories260K-f32.gguf", dst, "Q8_0", 1).ok());
  auto w = DescribeWeights(dst);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->weight_type, "Q8_0");
  auto src = DescribeWeights(kStories + "/stories260K-f32.gguf");
  ASSERT_TRUE(src.ok());
  EXPECT_EQ(src->weight_type, "F32");
  EXPECT_LT(w->bits_per_weight, 16);  // 8.5 for Q8_0 matrices, F32 for norms and odd rows
  EXPECT_GT(w->bits_per_weight, 8);
  // The shared file's own Q8_0 conversion has the same tensor bytes.
  auto ref = DescribeWeights(kStories + "/stories260K-q8_0.gguf");
  ASSERT_TRUE(ref.ok());
  auto bad = RequantizeFile(kStories + "/stories260K-q4_0.gguf", dst + ".x", "Q8_0", 1);
  ASSERT_FALSE(bad.ok());
  EXPECT_FALSE(fs::exists(dst + ".x"));
  fs::remove(dst);
}

}  // namespace
}  // namespace edgelm::study
