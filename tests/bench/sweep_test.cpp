#include "bench/sweep.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

namespace edgelm::bench {
namespace {

std::vector<int64_t> Ints(std::string_view text) {
  auto r = ParseIntList(text, "-t", -1000, 1000000);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::vector<int64_t>{};
}

std::string Error(std::string_view text) {
  auto r = ParseIntList(text, "-p", 0, 1 << 20);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : r.status().message();
}

TEST(SweepTest, ListsAndRanges) {
  EXPECT_EQ(Ints("4"), (std::vector<int64_t>{4}));
  EXPECT_EQ(Ints("128,512"), (std::vector<int64_t>{128, 512}));
  EXPECT_EQ(Ints("1-4"), (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(Ints("1-8+2"), (std::vector<int64_t>{1, 3, 5, 7}));
  EXPECT_EQ(Ints("1-8*2"), (std::vector<int64_t>{1, 2, 4, 8}));
  EXPECT_EQ(Ints("64-500*2"), (std::vector<int64_t>{64, 128, 256}));
  EXPECT_EQ(Ints("1,2,4-8+4"), (std::vector<int64_t>{1, 2, 4, 8}));
  EXPECT_EQ(Ints("3-3"), (std::vector<int64_t>{3}));
  EXPECT_EQ(Ints("-1,3"), (std::vector<int64_t>{-1, 3}));
  EXPECT_EQ(Ints("-1-1"), (std::vector<int64_t>{-1, 0, 1}));
  EXPECT_EQ(Ints("2,2"), (std::vector<int64_t>{2, 2}));
}

TEST(SweepTest, BadRangesSayWhy) {
  EXPECT_NE(Error("8-1").find("ends before it starts"), std::string::npos);
  EXPECT_NE(Error("1-8+0").find("step 0"), std::string::npos);
  EXPECT_NE(Error("1-8*1").find("multiply by 2 or more"), std::string::npos);
  EXPECT_NE(Error("0-8*2").find("start at 1"), std::string::npos);
  EXPECT_NE(Error("abc").find("'abc' is not a number"), std::string::npos);
  EXPECT_NE(Error("1,,2").find("empty element"), std::string::npos);
  EXPECT_NE(Error("1,").find("empty element"), std::string::npos);
  EXPECT_NE(Error("").find("empty value list"), std::string::npos);
  EXPECT_NE(Error("12x").find("not a number"), std::string::npos);
  EXPECT_NE(Error("5000000").find("out of range"), std::string::npos);
  EXPECT_NE(Error("-5").find("out of range"), std::string::npos);
  EXPECT_NE(Error("1-99999999999999999999").find("not a number"), std::string::npos);
  EXPECT_NE(Error("0-100000").find("more than 4096"), std::string::npos);
  EXPECT_NE(Error("1-2-3").find("not a number"), std::string::npos);
  // The flag is named in every message.
  EXPECT_EQ(Error("8-1").rfind("-p:", 0), 0u);
}

TEST(SweepTest, RangeNearTheLimitDoesNotOverflow) {
  auto r = ParseIntList("9223372036854775800-9223372036854775807+5", "-x", 0, INT64_MAX);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->size(), 2u);
  auto m = ParseIntList("4611686018427387904-9223372036854775807*2", "-x", 0, INT64_MAX);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->size(), 1u);
}

TEST(SweepTest, StringListsPgAndMasks) {
  EXPECT_EQ(*ParseStringList("a.gguf,b.gguf", "-m"), (std::vector<std::string>{"a.gguf", "b.gguf"}));
  EXPECT_FALSE(ParseStringList("a.gguf,", "-m").ok());
  auto pg = ParsePgPair("512,128");
  ASSERT_TRUE(pg.ok());
  EXPECT_EQ(pg->first, 512u);
  EXPECT_EQ(pg->second, 128u);
  EXPECT_FALSE(ParsePgPair("512").ok());
  EXPECT_FALSE(ParsePgPair("512,0").ok());
  EXPECT_FALSE(ParsePgPair("1,2,3").ok());
  EXPECT_EQ(*CpuMaskToCpus("0x0"), std::vector<int>{});
  EXPECT_EQ(*CpuMaskToCpus("0x5"), (std::vector<int>{0, 2}));
  EXPECT_EQ(*CpuMaskToCpus("F0"), (std::vector<int>{4, 5, 6, 7}));
  EXPECT_EQ(*CpuMaskToCpus("0x100"), std::vector<int>{8});
  EXPECT_FALSE(CpuMaskToCpus("0xZ").ok());
  EXPECT_FALSE(CpuMaskToCpus("0x").ok());
}

SweepSpec BaseSpec() {
  SweepSpec s;
  s.models = {"a.gguf", "b.gguf"};
  s.n_threads = {1, 2};
  s.n_prompt = {16, 32};
  s.n_gen = {8};
  return s;
}

TEST(SweepTest, CartesianCountAndOrder) {
  SweepSpec s = BaseSpec();
  s.pg = {{16, 8}};
  s.n_depth = {0, 64};
  auto cfgs = ExpandSweep(s);
  ASSERT_TRUE(cfgs.ok()) << cfgs.status().ToString();
  // 2 models x 2 threads x 2 depths x (2 pp + 1 tg + 1 pg).
  ASSERT_EQ(cfgs->size(), 2u * 2 * 2 * 4);
  const auto& c = *cfgs;
  EXPECT_EQ(c[0].model_path, "a.gguf");
  EXPECT_EQ(c[0].n_threads, 1);
  EXPECT_EQ(c[0].TestName(), "pp16");
  EXPECT_EQ(c[1].TestName(), "pp32");
  EXPECT_EQ(c[2].TestName(), "tg8");
  EXPECT_EQ(c[3].TestName(), "pp16+tg8");
  EXPECT_EQ(c[4].TestName(), "pp16 @ d64");
  EXPECT_EQ(c[6].TestName(), "tg8 @ d64");
  EXPECT_EQ(c[8].n_threads, 2);
  EXPECT_EQ(c[16].model_path, "b.gguf");
  for (size_t i = 0; i < c.size(); ++i) EXPECT_EQ(c[i].index, static_cast<int>(i));
  EXPECT_EQ(c[6].RequiredCtx(), 72u);
  EXPECT_EQ(c[6].EffectiveCtx(), 72u);
  std::set<std::string> keys;
  for (const auto& cfg : c) keys.insert(cfg.Key());
  EXPECT_EQ(keys.size(), c.size()) << "keys must identify configurations";
}

TEST(SweepTest, AllParametersMultiply) {
  SweepSpec s = BaseSpec();
  s.models = {"m.gguf"};
  s.n_threads = {1};
  s.n_prompt = {16};
  s.n_gen = {0};  // 0 adds no test, as in llama-bench
  s.n_ctx = {0, 64};
  s.n_batch = {8, 16, 32};
  s.type_k = {"f16", "f32"};
  s.isa = {"auto", "scalar"};
  s.cpu_mask = {"0x0", "0x1"};
  s.priority = {0, -1};
  s.request = true;
  s.request_prompt = "Once upon a time";
  s.request_n_gen = 4;
  auto cfgs = ExpandSweep(s);
  ASSERT_TRUE(cfgs.ok()) << cfgs.status().ToString();
  EXPECT_EQ(cfgs->size(), 2u * 3 * 2 * 2 * 2 * 2 * 2);
  EXPECT_EQ((*cfgs)[1].TestName(), "req4");
  EXPECT_EQ((*cfgs)[1].kind, TestKind::kRequest);
  EXPECT_EQ((*cfgs)[1].RequiredCtx(), 0u);
}

TEST(SweepTest, RandomOrderIsASeededPermutation) {
  SweepSpec s = BaseSpec();
  auto canonical = *ExpandSweep(s);
  s.random_order = true;
  s.seed = 42;
  auto a = *ExpandSweep(s);
  auto b = *ExpandSweep(s);
  s.seed = 43;
  auto c = *ExpandSweep(s);
  ASSERT_EQ(a.size(), canonical.size());
  std::vector<int> ia, ib, ic;
  for (size_t i = 0; i < a.size(); ++i) {
    ia.push_back(a[i].index);
    ib.push_back(b[i].index);
    ic.push_back(c[i].index);
    EXPECT_EQ(a[i].Key(), canonical[a[i].index].Key());
  }
  EXPECT_EQ(ia, ib) << "same seed, same order";
  EXPECT_NE(ia, ic) << "different seed, different order";
  std::vector<int> sorted = ia;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) EXPECT_EQ(sorted[i], static_cast<int>(i));
}

TEST(SweepTest, InvalidSpecsAreErrors) {
  auto expect_error = [](SweepSpec s, const std::string& what) {
    auto r = ExpandSweep(s);
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_NE(r.status().message().find(what), std::string::npos) << r.status().message();
  };
  SweepSpec s = BaseSpec();
  s.models.clear();
  expect_error(s, "no model");
  s = BaseSpec(); s.n_prompt = {0}; s.n_gen = {0};
  expect_error(s, "no test selected");
  s = BaseSpec(); s.n_ctx = {20};
  expect_error(s, "-c 20 is smaller than test pp32");
  s = BaseSpec(); s.type_k = {"q8_0"};
  expect_error(s, "unknown KV cache type 'q8_0'");
  s = BaseSpec(); s.isa = {"sse9"};
  expect_error(s, "unknown ISA path");
  s = BaseSpec(); s.priority = {4};
  expect_error(s, "--prio");
  s = BaseSpec(); s.repetitions = 0;
  expect_error(s, "-r");
  s = BaseSpec(); s.cpu_mask = {"xyz"};
  expect_error(s, "--cpu-mask");
  s = BaseSpec(); s.request = true;
  expect_error(s, "prompt is empty");
}

TEST(SweepTest, SpecJsonRoundTrip) {
  SweepSpec s = BaseSpec();
  s.pg = {{512, 128}};
  s.random_order = true;
  s.seed = 7;
  s.delay_s = 0.5;
  s.request = true;
  s.request_prompt = "hi";
  auto back = SweepSpecFromJson(SweepSpecToJson(s));
  ASSERT_TRUE(back.ok());
  auto a = *ExpandSweep(s), b = *ExpandSweep(*back);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].Key(), b[i].Key());
  EXPECT_DOUBLE_EQ(back->delay_s, 0.5);
  EXPECT_FALSE(SweepSpecFromJson(nlohmann::json{{"models", 3}}).ok());
}

}  // namespace
}  // namespace edgelm::bench
