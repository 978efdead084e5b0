// A real browser loads a generated report: headless Chromium parses the HTML and SVG,
// runs the report's inline check script, and dumps the resulting DOM. The test reads
// back script errors (recorded into the DOM by window.onerror) and the number of marks
// per chart series as the browser counted them. Skips when Chromium is not installed.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>

#include <nlohmann/json.hpp>
#include <gtest/gtest.h>

#include "report/report.h"
#include "report_fixture.h"

namespace edgelm::report {
namespace {

constexpr const char* kChromium = "/usr/bin/chromium";

std::string Flags() {
  return std::string(" --headless --no-sandbox --disable-gpu --disable-background-networking "
                     "--disable-component-update --disable-sync --no-first-run --user-data-dir=") +
         testing::TempPath("profile");
}

// Runs a command, returning its stdout (stderr is discarded: Chromium logs noise there).
std::string Capture(const std::string& cmd, int* exit_code) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>/dev/null").c_str(), "r");
  if (!p) return out;
  std::array<char, 65536> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int st = ::pclose(p);
  *exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

std::string DumpDom(const std::string& html_path) {
  int rc = 0;
  // timeout: a hung browser must not hang the test suite.
  std::string dom = Capture("timeout 90 " + std::string(kChromium) + Flags() + " --dump-dom file://" + html_path, &rc);
  EXPECT_EQ(rc, 0) << "chromium --dump-dom failed";
  return dom;
}

class BrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kChromium)) GTEST_SKIP() << "chromium is not installed (apt-get install chromium)";
  }
};

TEST_F(BrowserTest, ReportLoadsWithoutErrorsAndChartsHaveTheirPoints) {
  auto fx = testing::MakeStore(testing::TempPath("results.db"));
  auto in = LoadReportInput(fx.db, std::nullopt);
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  const std::string html = testing::TempPath("report.html");
  ASSERT_TRUE(WriteReportFiles(*in, html).ok());
  const std::string dom = DumpDom(html);
  ASSERT_NE(dom.find("data-report-ready=\"1\""), std::string::npos) << "the check script did not run:\n" << dom.substr(0, 2000);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(dom, m, std::regex("id=\"js-errors\" data-count=\"(\\d+)\"[^>]*>([^<]*)<")));
  EXPECT_EQ(m[1].str(), "0") << "script errors: " << m[2].str();
  ASSERT_TRUE(std::regex_search(dom, m, std::regex("id=\"self-check\"[^>]*data-charts=\"(\\d+)\"[^>]*>([^<]*)<")));
  // throughput, efficiency, memory, memory breakdown, ppl, kld, threads, itl, power, cost.
  EXPECT_EQ(m[1].str(), "10") << m[2].str();
  auto counts = nlohmann::json::parse(m[2].str(), nullptr, false);
  ASSERT_TRUE(counts.is_object()) << m[2].str();
  EXPECT_EQ(counts.value("pp", 0), 2);
  EXPECT_EQ(counts.value("tg", 0), 2);
  EXPECT_EQ(counts.value("efficiency", 0), 5);
  EXPECT_EQ(counts.value("pareto", 0), 2);
  EXPECT_EQ(counts.value("ppl", 0), 2);
  EXPECT_EQ(counts.value("kld_mean", 0), 1);
  EXPECT_EQ(counts.value("power-0", 0), 12);
  EXPECT_EQ(counts.value("mem-m-F16", 0), 1);
  // The breakdown at the largest context (256): only the Q4_0 file measured it.
  EXPECT_EQ(counts.value("memparts-weights", 0), 1);
  EXPECT_EQ(counts.value("memparts-kv", 0), 1);
  EXPECT_EQ(counts.value("memparts-scratch", 0), 1);
  EXPECT_EQ(counts.value("thr-m-F16-64", 0), 2);
  // Escaped text arrives as text: no injected element exists in the parsed DOM.
  EXPECT_EQ(dom.find("<script>alert"), std::string::npos);
}

TEST_F(BrowserTest, ErrorRecorderCatchesAThrowingScript) {
  // The recorder itself must work, or the test above proves nothing.
  const std::string html = testing::TempPath("broken.html");
  auto fx = testing::MakeStore(testing::TempPath("results.db"));
  auto in = LoadReportInput(fx.db, std::nullopt);
  ASSERT_TRUE(in.ok());
  std::string page = RenderHtml(*in);
  page.replace(page.find("</body>"), 7, "<script>undefinedFunctionCall();</script></body>");
  std::ofstream(html) << page;
  const std::string dom = DumpDom(html);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(dom, m, std::regex("id=\"js-errors\" data-count=\"(\\d+)\"[^>]*>([^<]*)<")));
  EXPECT_EQ(m[1].str(), "1");
  EXPECT_NE(m[2].str().find("undefinedFunctionCall"), std::string::npos);
}

TEST_F(BrowserTest, ScreenshotRenders) {
  auto fx = testing::MakeStore(testing::TempPath("results.db"));
  auto in = LoadReportInput(fx.db, std::nullopt);
  ASSERT_TRUE(in.ok());
  const std::string html = testing::TempPath("report.html");
  ASSERT_TRUE(WriteReportFiles(*in, html).ok());
  const std::string png = testing::TempPath("report.png");
  int rc = 0;
  Capture("timeout 90 " + std::string(kChromium) + Flags() + " --window-size=1200,3000 --screenshot=" + png +
              " file://" + html,
          &rc);
  ASSERT_EQ(rc, 0);
  ASSERT_TRUE(std::filesystem::exists(png));
  // A blank page compresses to a few KiB; charts and tables make it much larger.
  EXPECT_GT(std::filesystem::file_size(png), 50000u);
}

}  // namespace
}  // namespace edgelm::report
