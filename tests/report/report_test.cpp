// Report content against a constructed results store: values, escaping of every string
// from the store, absent-with-reason, estimates labelled, Pareto front, cost, fit and
// recommendations; the Markdown summary; bad input.
#include <sqlite3.h>

#include <cmath>
#include <fstream>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include "eval/quality_store.h"
#include "report/findings.h"
#include "report/html.h"
#include "report/report.h"
#include "report/svg_chart.h"
#include "report_fixture.h"

namespace edgelm::report {
namespace {

using testing::kEvil;
using testing::MakeStore;
using testing::TempPath;

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + needle.size())) ++n;
  return n;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(HtmlTest, EscapesEverySignificantCharacter) {
  EXPECT_EQ(HtmlEscape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(MarkdownCell("a|b\nc<d>"), "a\\|b c&lt;d&gt;");
}

TEST(HtmlTest, FormatsNumbersAndBytes) {
  EXPECT_EQ(FormatNumber(0), "0");
  EXPECT_EQ(FormatNumber(1234.4), "1234");
  EXPECT_EQ(FormatNumber(12.34), "12.3");
  EXPECT_EQ(FormatNumber(1.234), "1.23");
  EXPECT_EQ(FormatNumber(0.01234), "0.0123");
  EXPECT_EQ(FormatNumber(std::nan("")), "NaN");
  EXPECT_EQ(FormatBytes(512), "512 B");
  EXPECT_EQ(FormatBytes(1536), "1.50 KiB");
  EXPECT_EQ(FormatBytes(3ull << 30), "3.00 GiB");
}

TEST(SvgChartTest, NiceTicksCoverTheRange) {
  auto t = NiceTicks(0, 97, 5);
  ASSERT_FALSE(t.empty());
  EXPECT_EQ(t.front(), 0);
  EXPECT_EQ(t[1], 20);
  EXPECT_GE(t.back(), 80);
  EXPECT_TRUE(NiceTicks(1, 1, 5).empty());
  EXPECT_TRUE(NiceTicks(0, std::nan(""), 5).empty());
}

TEST(SvgChartTest, OneMarkPerFinitePointAndEscapedText) {
  ChartSpec c;
  c.id = "c1";
  c.title = "t <1>";
  ChartSeries a{"a", "A & B"};
  a.points = {{1, 2, "p<1>"}, {2, 3, ""}, {std::nan(""), 1, ""}};
  ChartSeries b{"b", "bars"};
  b.bars = true;
  b.points = {{0, 5, ""}};
  c.series = {a, b};
  c.bands = {{0.5, 1.5, "decode", "d"}};
  c.rules = {{4, "budget"}};
  const std::string svg = RenderChart(c);
  EXPECT_EQ(Count(svg, "<circle data-series=\"a\""), 2u);
  EXPECT_EQ(Count(svg, "<rect data-series=\"b\""), 1u);
  EXPECT_EQ(Count(svg, "data-band=\"decode\""), 1u);
  EXPECT_EQ(Count(svg, "data-rule=\"1\""), 1u);
  EXPECT_NE(svg.find("t &lt;1&gt;"), std::string::npos);
  EXPECT_NE(svg.find("A &amp; B: p&lt;1&gt;"), std::string::npos);
  EXPECT_EQ(svg.find("p<1>"), std::string::npos);
}

TEST(FindingsTest, ParetoFrontMaximisesBoth) {
  // (1,5) (2,4) (3,1) are non-dominated; (1,4) and (2,1) are dominated; a duplicate
  // of a front point appears once.
  std::vector<std::pair<double, double>> p = {{1, 4}, {1, 5}, {2, 4}, {2, 1}, {3, 1}, {2, 4}};
  auto f = ParetoFront(p);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0], 1u);
  EXPECT_EQ(f[1], 2u);
  EXPECT_EQ(f[2], 4u);
  EXPECT_TRUE(ParetoFront({}).empty());
}

TEST(FindingsTest, EdgeCostAndBreakEven) {
  Prices prices;
  prices.device_usd = 100;
  prices.amortisation_years = 1;
  prices.duty_cycle = 1;
  prices.electricity_usd_per_kwh = 0.36;
  // 10 tokens/s for a year = 315.576 M tokens -> 100 / 315.576 = 0.3169 $/1M.
  // 3.6 J/token -> 1M tokens = 3.6e6 J = 1 kWh -> 0.36 $/1M.
  auto c = EdgeCost(prices, 10, 3.6);
  ASSERT_TRUE(c.total_usd_per_1m);
  EXPECT_NEAR(*c.capex_usd_per_1m, 100 / 315.576, 1e-4);
  EXPECT_NEAR(*c.energy_usd_per_1m, 0.36, 1e-12);
  prices.cloud = {{"Acme", "api", 0, 1.36, "2026-01-02", "https://acme.example/pricing", ""},
                  {"Acme", "free", 0, 0.1, "2026-01-02", "https://acme.example/pricing", ""},
                  {"Acme", "dear", 0, 1000.36, "2026-01-02", "https://acme.example/pricing", ""}};
  EfficiencyPoint p;
  p.tokens_per_s = 10;
  p.joules_per_token = 3.6;
  auto be = BreakEvens(prices, p);
  ASSERT_EQ(be.size(), 3u);
  EXPECT_EQ(be[0].cloud, "Acme api");
  EXPECT_EQ(be[0].date, "2026-01-02");
  // Per day: device 100 $ / 365.25 days = 0.273785 $/day; the API saves
  // (1.36 - 0.36) $ per 1M tokens over the edge's energy -> 273785 tokens/day, within
  // the 864000 tokens/day the device generates at 10 tokens/s.
  ASSERT_TRUE(be[0].tokens_per_day) << be[0].verdict;
  EXPECT_NEAR(*be[0].tokens_per_day, 100 / 365.25 * 1e6, 1e-3);
  EXPECT_NEAR(be[0].capacity_tokens_per_day, 864000, 1e-9);
  EXPECT_NE(be[0].verdict.find("edge is cheaper above"), std::string::npos) << be[0].verdict;
  ASSERT_TRUE(be[0].edge_usd_per_1m);
  EXPECT_NEAR(*be[0].edge_usd_per_1m, 100 / 315.576 + 0.36, 1e-4);
  EXPECT_FALSE(be[1].tokens_per_day);
  EXPECT_NE(be[1].verdict.find("never"), std::string::npos);
  // 0.273785 $/day / 1000 $/1M = 274 tokens/day.
  ASSERT_TRUE(be[2].tokens_per_day);
  EXPECT_NEAR(*be[2].tokens_per_day, 100 / 365.25 * 1e3, 1e-6);
  prices.device_usd.reset();
  auto no_device = BreakEvens(prices, p);
  EXPECT_FALSE(no_device[0].tokens_per_day);
  EXPECT_NE(no_device[0].verdict.find("device price"), std::string::npos) << no_device[0].verdict;
  Prices none;
  auto missing = EdgeCost(none, 10, 1);
  EXPECT_FALSE(missing.total_usd_per_1m);
  EXPECT_NE(missing.reason.find("electricity"), std::string::npos);
}

TEST(FindingsTest, PriceOverridesCheckRangesAndLoadTheTable) {
  Prices prices;
  prices.device_usd = 800;
  prices.cloud = {{"Acme", "api", 0, 1, "2026-01-02", "https://acme.example", ""}};
  PriceOverrides o;
  o.device_usd = 80;
  o.lifetime_years = 5;
  o.duty_cycle = 0.25;
  o.electricity_usd_per_kwh = 0.1;
  o.cloud_table = EDGELM_SOURCE_DIR "/data/prices/cloud_api.toml";
  ASSERT_TRUE(ApplyPriceOverrides(o, &prices).ok());
  EXPECT_EQ(*prices.device_usd, 80);
  EXPECT_EQ(prices.amortisation_years, 5);
  EXPECT_EQ(prices.duty_cycle, 0.25);
  EXPECT_EQ(*prices.electricity_usd_per_kwh, 0.1);
  EXPECT_EQ(prices.cloud_table, o.cloud_table);
  ASSERT_GE(prices.cloud.size(), 2u);  // the shipped table replaced the one entry
  EXPECT_EQ(prices.cloud[0].model, "gpt-4o-mini");
  EXPECT_NE(prices.overrides.find("--device-price 80"), std::string::npos) << prices.overrides;
  EXPECT_NE(prices.overrides.find("--price-table"), std::string::npos) << prices.overrides;
  // Nothing given: nothing changes, nothing is recorded.
  Prices same = prices;
  same.overrides.clear();
  ASSERT_TRUE(ApplyPriceOverrides({}, &same).ok());
  EXPECT_TRUE(same.overrides.empty());
  struct Bad {
    PriceOverrides o;
    const char* flag;
  };
  Bad bad[4];
  bad[0].o.device_usd = -1;
  bad[0].flag = "--device-price";
  bad[1].o.lifetime_years = 0;
  bad[1].flag = "--lifetime-years";
  bad[2].o.duty_cycle = 1.5;
  bad[2].flag = "--duty-cycle";
  bad[3].o.electricity_usd_per_kwh = std::nan("");
  bad[3].flag = "--electricity-price";
  for (const auto& b : bad) {
    Prices p = prices;
    Status st = ApplyPriceOverrides(b.o, &p);
    ASSERT_FALSE(st.ok()) << b.flag;
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(st.message().find(b.flag), std::string::npos) << st.message();
  }
  PriceOverrides missing;
  missing.cloud_table = "/nonexistent/prices.toml";
  Prices p = prices;
  Status st = ApplyPriceOverrides(missing, &p);
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_NE(st.message().find("/nonexistent/prices.toml"), std::string::npos);
}

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fx_ = MakeStore(TempPath("results.db"));
    auto in = LoadReportInput(fx_.db, std::nullopt);
    ASSERT_TRUE(in.ok()) << in.status().ToString();
    in_ = *in;
    html_ = RenderHtml(in_);
  }
  testing::Fixture fx_;
  ReportInput in_;
  std::string html_;
};

TEST_F(ReportTest, LoadsTheLatestRunWithItsStudyRecords) {
  EXPECT_EQ(in_.run.run_id, fx_.run_id);
  EXPECT_EQ(in_.bench.records.size(), fx_.records.size());
  ASSERT_TRUE(in_.study.settings);
  EXPECT_EQ(in_.study.settings->variants.size(), 2u);
  EXPECT_EQ(in_.study.energy.size(), 6u);
  EXPECT_EQ(in_.study.quality.size(), 4u);
  ASSERT_EQ(in_.study.power.size(), 1u);
  EXPECT_EQ(in_.study.power[0].samples.size(), 12u);
}

TEST_F(ReportTest, NoStringFromTheStoreIsInsertedUnescaped) {
  EXPECT_EQ(html_.find(kEvil), std::string::npos);
  EXPECT_EQ(html_.find("<script>alert"), std::string::npos);
  EXPECT_EQ(html_.find("<out of memory>"), std::string::npos);
  EXPECT_EQ(html_.find("echo <hi>"), std::string::npos);
  EXPECT_NE(html_.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"), std::string::npos);
  EXPECT_NE(html_.find("session failed: &lt;out of memory&gt;"), std::string::npos);
  // The only scripts are the report's own (one in the head).
  EXPECT_EQ(Count(html_, "<script>"), 1u);
}

TEST_F(ReportTest, ContextComesFirstAndRecommendationsLast) {
  const size_t context = html_.find("id=\"context\""), throughput = html_.find("id=\"throughput\""),
               cost = html_.find("id=\"cost\""), recs = html_.find("id=\"recommendations\"");
  ASSERT_NE(context, std::string::npos);
  EXPECT_LT(context, throughput);
  EXPECT_LT(throughput, cost);
  EXPECT_LT(cost, recs);
  EXPECT_NE(html_.find("Warning: governor is &lt;powersave&gt;"), std::string::npos);
}

TEST_F(ReportTest, DecodeAgainstTheRooflineBound) {
  // m F16: decode with the most threads (2) at ctx 64 is 18 tokens/s, the bound 40:
  // 45%. The Q4_0 file has no bound: absent, not 0.
  const size_t at = html_.find("Decode against the roofline bound");
  ASSERT_NE(at, std::string::npos);
  const std::string table = html_.substr(at, html_.find("</table>", at) - at);
  EXPECT_NE(table.find("memory bandwidth 1.0 GB/s (measured)"), std::string::npos);
  EXPECT_NE(table.find("<td class=\"num\">45.0%</td>"), std::string::npos) << table;
  EXPECT_NE(table.find("absent: no bound"), std::string::npos) << table;
}

TEST_F(ReportTest, ChartsHaveOneMarkPerMeasuredPoint) {
  // Throughput bars: pp and tg of both variants at their highest successful thread
  // count (the failed 4-thread run does not count), first context size only.
  EXPECT_EQ(Count(html_, "<rect data-series=\"pp\""), 2u);
  EXPECT_EQ(Count(html_, "<rect data-series=\"tg\""), 2u);
  // Five decode configurations with energy, two on the Pareto front.
  EXPECT_EQ(Count(html_, "<circle data-series=\"efficiency\""), 5u);
  EXPECT_EQ(Count(html_, "<circle data-series=\"pareto\""), 2u);
  EXPECT_EQ(Count(html_, "<circle data-series=\"ppl\""), 2u);
  EXPECT_EQ(Count(html_, "<circle data-series=\"kld_mean\""), 1u);
  EXPECT_EQ(Count(html_, "<circle data-series=\"power-0\""), 12u);
  EXPECT_EQ(Count(html_, "data-band=\"decode\""), 1u);
  EXPECT_EQ(Count(html_, "data-band=\"prefill\""), 1u);
  EXPECT_EQ(Count(html_, "data-rule=\"1\""), 1u);  // usable memory line
  EXPECT_EQ(Count(html_, "<circle data-series=\"mem-m-F16\""), 1u);
  // Thread scaling: two thread counts per variant.
  EXPECT_EQ(Count(html_, "<circle data-series=\"thr-m-F16-64\""), 2u);
  // ITL: seven latencies, one mark each.
  EXPECT_EQ(Count(html_, "data-series=\"itl-"), 7u);
}

TEST_F(ReportTest, ValuesAbsentReasonsAndEstimateLabels) {
  EXPECT_NE(html_.find(">105<"), std::string::npos);  // f16 pp mean (100, 110)
  EXPECT_NE(html_.find(">30.0<"), std::string::npos);  // q4 t2 decode mean
  EXPECT_NE(html_.find("absent: configuration failed"), std::string::npos);
  EXPECT_NE(html_.find("absent: phase too short for this sensor"), std::string::npos);
  EXPECT_NE(html_.find("absent: base model failed to load"), std::string::npos);
  EXPECT_NE(html_.find("absent: cpufreq not exposed"), std::string::npos);
  EXPECT_NE(html_.find("ESTIMATED"), std::string::npos);
}

TEST_F(ReportTest, RecommendationsCiteTheirMeasurements) {
  auto recs = Recommend(in_);
  ASSERT_EQ(recs.size(), 3u);
  ASSERT_TRUE(recs[0].answer);
  EXPECT_NE(recs[0].answer->find("tg16"), std::string::npos);
  EXPECT_NE(recs[0].answer->find("2 threads · ctx 64"), std::string::npos);
  EXPECT_NE(recs[0].evidence.find("decode 30.0 tokens/s"), std::string::npos);
  ASSERT_TRUE(recs[1].answer);
  EXPECT_NE(recs[1].answer->find("1 thread"), std::string::npos);
  EXPECT_NE(recs[1].evidence.find("5.00 tokens/J"), std::string::npos);
  EXPECT_NE(recs[1].evidence.find("ESTIMATED"), std::string::npos);
  ASSERT_TRUE(recs[2].answer);
  EXPECT_EQ(*recs[2].answer, "m F16");
  EXPECT_NE(recs[2].evidence.find("perplexity 12.5"), std::string::npos);
}

TEST_F(ReportTest, MemoryFitAgainstTheBudget) {
  auto rows = MemoryRows(in_);
  ASSERT_EQ(rows.size(), 3u);  // f16@64, q4@64, q4@256 (the failed run has no memory)
  for (const auto& r : rows) {
    ASSERT_TRUE(r.total_bytes());
    ASSERT_TRUE(r.fits);
    EXPECT_EQ(*r.fits, *r.total_bytes() <= 2500000u);
  }
}

TEST_F(ReportTest, WritesHtmlAndMarkdownSummary) {
  auto files = WriteReportFiles(in_, TempPath("out/report.html"));
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_EQ(ReadFile(files->html_path), html_);
  const std::string md = ReadFile(files->markdown_path);
  EXPECT_NE(files->markdown_path.find("report.md"), std::string::npos);
  EXPECT_NE(md.find("## Recommendations"), std::string::npos);
  EXPECT_NE(md.find("absent (error: session failed: &lt;out of memory&gt;)"), std::string::npos);
  EXPECT_EQ(md.find(kEvil), std::string::npos);
  EXPECT_NE(md.find("(estimated)"), std::string::npos);
  EXPECT_NE(md.find("cheap-api"), std::string::npos);
}

TEST_F(ReportTest, PlainBenchRunSaysWhatIsMissing) {
  auto store = bench::ResultsStore::Open(fx_.db);
  ASSERT_TRUE(store.ok());
  auto run = (*store)->BeginRun(in_.bench.context, std::nullopt, 1);
  ASSERT_TRUE(run.ok());
  ASSERT_TRUE((*store)->AddRecord(*run, fx_.records[1]).ok());
  auto in = LoadReportInput(fx_.db, *run);
  ASSERT_TRUE(in.ok());
  const std::string html = RenderHtml(*in);
  EXPECT_NE(html.find("not a study"), std::string::npos);
  EXPECT_NE(html.find("a plain bench run records no energy"), std::string::npos);
  EXPECT_EQ(Count(html, "data-series=\"pareto\""), 0u);
}

// Accuracy figures and prompt-suite answers from the quality tables: every figure with its
// interval and n, accuracy per task per model, answers side by side (the last answer of
// a model and prompt counts), every stored string escaped.
TEST(ReportQualityTablesTest, FiguresAccuracyAndSamples) {
  auto fx = MakeStore(TempPath("results.db"));
  auto q = QualityStore::Open(fx.db);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  auto figure = [&](const std::string& label, const std::string& task, const char* metric, double v, double lo,
                    double hi) {
    QualityFigure f;
    f.command = "study";
    f.model = {"/m/" + label, label, "Q4_0", 4.5};
    f.metric = metric;
    f.task = task;
    f.value = v;
    f.ci_low = lo;
    f.ci_high = hi;
    f.ci_method = kIntervalWilson;
    f.n = 10;
    f.n_unit = "items";
    ASSERT_TRUE((*q)->AddFigure(fx.run_id, f).ok());
  };
  const std::string evil_task = std::string("task ") + kEvil;
  figure("qa", "hellaswag", "acc", 0.3, 0.108, 0.603);
  figure("qa", "hellaswag", "acc_norm", 0.4, 0.168, 0.687);
  figure("qb", evil_task, "acc", 0.5, 0.237, 0.763);
  QualitySample s;
  s.model = {"/m/qa", "qa", "Q4_0", 4.5};
  s.prompt_id = "01-instructions";
  s.prompt_format = "plain";
  s.text = "first answer, replaced";
  s.stop_reason = "length";
  s.n_generated = 12;
  s.decode_tokens_per_s = 123.0;
  ASSERT_TRUE((*q)->AddSample(fx.run_id, s).ok());
  s.text = std::string("answer ") + kEvil + "\nsecond line";
  ASSERT_TRUE((*q)->AddSample(fx.run_id, s).ok());  // a resumed study answered again
  s.model = {"/m/qb", "qb", "Q8_0", 8.5};
  s.text = "b's answer";
  s.decode_tokens_per_s.reset();
  s.n_generated = 1;
  ASSERT_TRUE((*q)->AddSample(fx.run_id, s).ok());

  auto in = LoadReportInput(fx.db, fx.run_id);
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  ASSERT_EQ(in->study.samples.size(), 2u);
  EXPECT_EQ(in->study.samples[0].model_label, "qa");
  EXPECT_NE(in->study.samples[0].text.find("second line"), std::string::npos);
  const std::string html = RenderHtml(*in);
  EXPECT_EQ(html.find(kEvil), std::string::npos);
  EXPECT_EQ(Count(html, "<script>"), 1u);
  // Figures table: task, interval with its method, n.
  const size_t figures = html.find("id=\"quality-figures\"");
  ASSERT_NE(figures, std::string::npos);
  EXPECT_NE(html.find("<td>hellaswag</td><td>acc</td><td class=\"num\">0.3</td><td>[0.108, 0.603] "
                      "<span class=\"note\">wilson</span></td>", figures), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\">10 items</td>", figures), std::string::npos);
  // Accuracy per task: a row per task, a column per model; qb has no hellaswag figure.
  const size_t acc = html.find("id=\"quality-accuracy\"");
  ASSERT_NE(acc, std::string::npos);
  const std::string table = html.substr(acc, html.find("</table>", acc) - acc);
  EXPECT_NE(table.find("<th>qa</th><th>qb</th>"), std::string::npos) << table;
  EXPECT_NE(table.find("acc_norm 0.4"), std::string::npos);
  EXPECT_NE(table.find("absent: not evaluated"), std::string::npos);
  EXPECT_NE(table.find("<td>task &lt;script&gt;"), std::string::npos);
  // Samples: one prompt, two answers side by side, the replaced answer gone.
  const size_t samples = html.find("<h2 id=\"samples\">Samples</h2>");
  ASSERT_NE(samples, std::string::npos);
  EXPECT_EQ(Count(html, "<div class=\"sample\">"), 2u);
  EXPECT_EQ(html.find("first answer, replaced"), std::string::npos);
  EXPECT_NE(html.find("<pre>answer &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;\nsecond line</pre>"),
            std::string::npos);
  EXPECT_NE(html.find("123 tokens/s"), std::string::npos);
  EXPECT_NE(html.find("fewer than 2 tokens generated"), std::string::npos);
  const std::string md = RenderMarkdown(*in);
  EXPECT_NE(md.find("### 01-instructions"), std::string::npos);
  EXPECT_NE(md.find("| hellaswag | acc | 0.3 | [0.108, 0.603] |"), std::string::npos) << md;
  EXPECT_NE(md.find("### Accuracy per task"), std::string::npos);
  EXPECT_EQ(md.find(kEvil), std::string::npos);
  // A run without answers says how to get them.
  ReportInput none = *in;
  none.study.samples.clear();
  EXPECT_NE(RenderHtml(none).find("--quality-samples"), std::string::npos);
}

TEST(ReportInputTest, BadInputIsAnError) {
  auto missing = LoadReportInput("/nonexistent/edgelm.db", std::nullopt);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  auto fx = MakeStore(TempPath("r.db"));
  auto no_run = LoadReportInput(fx.db, 999);
  ASSERT_FALSE(no_run.ok());
  EXPECT_NE(no_run.status().message().find("no run 999"), std::string::npos);
  // A corrupt study record.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(fx.db.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE study_items SET json = '{broken' WHERE kind = 'energy'", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto corrupt = LoadReportInput(fx.db, fx.run_id);
  ASSERT_FALSE(corrupt.ok());
  EXPECT_EQ(corrupt.status().code(), StatusCode::kCorrupt);
  // Not an SQLite file.
  const std::string junk = TempPath("junk.db");
  std::ofstream(junk) << "this is not a database, just some text that is long enough to be read as a header......";
  EXPECT_FALSE(LoadReportInput(junk, std::nullopt).ok());
}

}  // namespace
}  // namespace edgelm::report
