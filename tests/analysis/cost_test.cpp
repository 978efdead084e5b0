#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "analysis/cost.h"

namespace edgelm::analysis {
namespace {

EdgeCostInputs PiLike() {
  EdgeCostInputs in;
  in.device_price_usd = 80;
  in.lifetime_years = 3;
  in.duty_cycle = 0.5;
  in.tokens_per_s = 10;
  in.joules_per_token = 0.5;
  in.electricity_usd_per_kwh = 0.30;
  return in;
}

TEST(EdgeCostTest, HandCheckedNumbers) {
  auto c = ComputeEdgeCost(PiLike());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  // tokens/day = 10 tok/s x 86400 s x 0.5 = 432,000
  EXPECT_DOUBLE_EQ(c->tokens_per_day, 432000.0);
  // capex/day = $80 / (3 x 365.25 days) = $0.0730093...
  EXPECT_NEAR(c->capex_usd_per_day, 0.07300936, 1e-8);
  // energy/day = 0.5 J x 432,000 = 216,000 J = 0.06 kWh x $0.30 = $0.018
  EXPECT_NEAR(c->energy_usd_per_day, 0.018, 1e-12);
  // per 1M tokens: capex 0.0730093 / 0.432 = 0.169003; energy 0.018 / 0.432 = 0.0416667
  EXPECT_NEAR(c->capex_usd_per_million_tokens, 0.16900315, 1e-7);
  EXPECT_NEAR(c->energy_usd_per_million_tokens, 0.04166667, 1e-7);
  EXPECT_NEAR(c->usd_per_million_tokens, 0.21066982, 1e-7);
}

TEST(EdgeCostTest, IdlePowerCountsTheRestOfTheDay) {
  EdgeCostInputs in = PiLike();
  in.idle_watts = 2.7;
  auto c = ComputeEdgeCost(in);
  ASSERT_TRUE(c.ok());
  // idle: 2.7 W x 43,200 s = 116,640 J = 0.0324 kWh x $0.30 = $0.00972; plus $0.018 generating
  EXPECT_NEAR(c->energy_usd_per_day, 0.02772, 1e-12);
  // Full duty: no idle seconds, idle power irrelevant.
  in.duty_cycle = 1;
  EXPECT_NEAR(ComputeEdgeCost(in)->energy_usd_per_day, 0.036, 1e-12);  // 0.5 J x 864,000 = 0.12 kWh
}

TEST(EdgeCostTest, RejectsOutOfRangeInputs) {
  EdgeCostInputs in = PiLike();
  in.duty_cycle = 0;
  auto r = ComputeEdgeCost(in);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("duty_cycle"), std::string::npos);
  in = PiLike();
  in.duty_cycle = 1.5;
  EXPECT_FALSE(ComputeEdgeCost(in).ok());
  in = PiLike();
  in.tokens_per_s = 0;
  EXPECT_FALSE(ComputeEdgeCost(in).ok());
  in = PiLike();
  in.lifetime_years = -1;
  EXPECT_FALSE(ComputeEdgeCost(in).ok());
  in = PiLike();
  in.electricity_usd_per_kwh = std::nan("");
  EXPECT_FALSE(ComputeEdgeCost(in).ok());
  in = PiLike();
  in.idle_watts = -2;
  EXPECT_FALSE(ComputeEdgeCost(in).ok());
}

TEST(CloudCostTest, BlendsInputTokens) {
  CloudPrice p{"OpenAI", "gpt-4o-mini", 0.15, 0.60, "2026-11-21", "https://example", ""};
  EXPECT_DOUBLE_EQ(*CloudUsdPerMillionOutputTokens(p, 0), 0.60);
  EXPECT_DOUBLE_EQ(*CloudUsdPerMillionOutputTokens(p, 3), 1.05);  // 0.60 + 3 x 0.15
  EXPECT_FALSE(CloudUsdPerMillionOutputTokens(p, -1).ok());
}

TEST(BreakEvenTest, HandCheckedVolume) {
  auto b = BreakEvenTokensPerDay(PiLike(), 0.60);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  // fixed = $0.0730093/day; marginal = 0.5 J x $0.30 / 3.6e6 J = $4.1667e-8 per token;
  // cloud = $6e-7 per token; V = 0.0730093 / (6e-7 - 4.1667e-8) = 130,763 tokens/day.
  ASSERT_TRUE(b->tokens_per_day.has_value());
  EXPECT_NEAR(*b->tokens_per_day, 130763.0, 1.0);
  EXPECT_DOUBLE_EQ(b->capacity_tokens_per_day, 864000.0);
  EXPECT_TRUE(b->within_capacity);
  // At the break-even volume both daily costs agree.
  const double v = *b->tokens_per_day;
  EXPECT_NEAR(0.0730093 + v * 0.5 * 0.30 / 3.6e6, v * 0.60 / 1e6, 1e-6);
}

TEST(BreakEvenTest, WithIdlePower) {
  EdgeCostInputs in = PiLike();
  in.idle_watts = 2.7;
  auto b = BreakEvenTokensPerDay(in, 0.60);
  ASSERT_TRUE(b.ok());
  // fixed = 0.0730093 + 2.7 W x 86400 s x $0.30 / 3.6e6 = 0.0730093 + 0.01944 = 0.0924493
  // marginal = (0.5 - 2.7 / 10) J x 0.30 / 3.6e6 = 1.91667e-8 $/token
  // V = 0.0924493 / (6e-7 - 1.91667e-8) = 159,166 tokens/day
  EXPECT_NEAR(*b->tokens_per_day, 159166.0, 2.0);
}

TEST(BreakEvenTest, NeverAndBeyondCapacity) {
  auto never = BreakEvenTokensPerDay(PiLike(), 0.01);  // $1e-8/token < marginal 4.17e-8
  ASSERT_TRUE(never.ok());
  EXPECT_FALSE(never->tokens_per_day.has_value());
  EXPECT_NE(never->reason.find("never"), std::string::npos);
  EdgeCostInputs dear = PiLike();
  dear.device_price_usd = 10000;  // $9.1262/day / 5.5833e-7 = 16.35M tokens/day > 864,000
  auto far = BreakEvenTokensPerDay(dear, 0.60);
  ASSERT_TRUE(far.ok());
  EXPECT_NEAR(*far->tokens_per_day, 1.63454e7, 1e3);
  EXPECT_FALSE(far->within_capacity);
  EXPECT_FALSE(far->reason.empty());
}

TEST(CompareWithCloudTest, RowsPerPrice) {
  const std::vector<CloudPrice> prices = {{"A", "cheap", 0.05, 0.10, "2026-01-01", "https://a", ""},
                                          {"B", "dear", 1.00, 4.00, "2026-01-01", "https://b", ""}};
  auto rows = CompareWithCloud(PiLike(), prices, 2.0);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  // cheap: 0.10 + 2 x 0.05 = $0.20/1M < edge $0.2107/1M at 50% duty -> cloud cheaper.
  EXPECT_DOUBLE_EQ((*rows)[0].cloud_usd_per_million_tokens, 0.20);
  EXPECT_NEAR((*rows)[0].edge_usd_per_million_tokens, 0.21066982, 1e-7);
  EXPECT_FALSE((*rows)[0].edge_cheaper);
  // Break-even: 0.0730093 / (2e-7 - 4.1667e-8) = 461,112 tokens/day, above the 432,000 at 50% duty.
  EXPECT_NEAR(*(*rows)[0].break_even.tokens_per_day, 461112.0, 2.0);
  // dear: 4.00 + 2 x 1.00 = $6/1M: the edge is cheaper.
  EXPECT_DOUBLE_EQ((*rows)[1].cloud_usd_per_million_tokens, 6.0);
  EXPECT_TRUE((*rows)[1].edge_cheaper);
  EXPECT_EQ((*rows)[1].price.model, "dear");
  EXPECT_FALSE(CompareWithCloud(PiLike(), prices, -1).ok());
}

TEST(PriceTableTest, ShippedTableLoadsWithSources) {
  auto prices = LoadCloudPrices(EDGELM_SOURCE_DIR "/data/prices/cloud_api.toml");
  ASSERT_TRUE(prices.ok()) << prices.status().ToString();
  ASSERT_GE(prices->size(), 3u);
  for (const CloudPrice& p : *prices) {
    EXPECT_EQ(p.source.rfind("https://", 0), 0u) << p.model;
    EXPECT_EQ(p.date.size(), 10u) << p.model;  // YYYY-MM-DD
    EXPECT_GT(p.output_usd_per_mtok, 0) << p.model;
    EXPECT_GE(p.output_usd_per_mtok, p.input_usd_per_mtok) << p.model;
  }
  auto mini = FindCloudPrice(*prices, "GPT-4o-mini");
  ASSERT_TRUE(mini.ok());
  EXPECT_DOUBLE_EQ(mini->output_usd_per_mtok, 0.60);
  auto none = FindCloudPrice(*prices, "gpt-99");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("gpt-4o-mini"), std::string::npos);  // lists known
}

TEST(PriceTableTest, BadTablesAreErrors) {
  const std::string dir = testing::TempDir();
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir + "/" + name) << text;
    return dir + "/" + name;
  };
  EXPECT_EQ(LoadCloudPrices(dir + "/absent.toml").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(LoadCloudPrices(write("empty.toml", "")).status().code(), StatusCode::kCorrupt);
  auto missing = LoadCloudPrices(write("nosrc.toml",
      "[[price]]\nprovider='p'\nmodel='m'\ninput_usd_per_mtok=1\noutput_usd_per_mtok=2\ndate='2026-01-01'\n"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("'source'"), std::string::npos);
  EXPECT_NE(missing.status().message().find("entry 1"), std::string::npos);
  auto negative = LoadCloudPrices(write("neg.toml",
      "[[price]]\nprovider='p'\nmodel='m'\ninput_usd_per_mtok=-1\noutput_usd_per_mtok=2\ndate='d'\nsource='s'\n"));
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.status().message().find("input_usd_per_mtok"), std::string::npos);
  auto syntax = LoadCloudPrices(write("syntax.toml", "[[price]\nmodel="));
  ASSERT_FALSE(syntax.ok());
  EXPECT_NE(syntax.status().message().find("line 1"), std::string::npos);
  // A misspelt key is an error, not a silently dropped price.
  auto typo = ParseCloudPrices(
      "[[price]]\nprovider='p'\nmodel='m'\ninput_usd_per_mtok=1\noutput_usd_per_mtok=2\ndate='d'\nsource='s'\n"
      "outptu_usd_per_mtok=3\n",
      "inline");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("inline entry 1: unknown key 'outptu_usd_per_mtok'"), std::string::npos)
      << typo.status().message();
  auto ok = ParseCloudPrices(
      "[[price]]\nprovider='p'\nmodel='m'\ninput_usd_per_mtok=1\noutput_usd_per_mtok=2\ndate='d'\nsource='s'\n",
      "inline");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_DOUBLE_EQ((*ok)[0].output_usd_per_mtok, 2);
}

}  // namespace
}  // namespace edgelm::analysis
