// The default study on the reduced setting (`edgelm study --quick`), end to end through
// the CLI: synthesizes stories15M-shaped models at F16/Q8_0/Q4_0 into a fresh cache,
// measures them, and writes the report; Chromium (when installed) loads it without
// script errors. Then `edgelm report` rebuilds it from the store.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>

#include <gtest/gtest.h>

#include "report/findings.h"

namespace {

namespace fs = std::filesystem;

std::string Shell(const std::string& cmd, int* rc) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int st = ::pclose(p);
  *rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

TEST(StudyCliTest, QuickDefaultStudyEndToEnd) {
  const fs::path dir = fs::temp_directory_path() / ("edgelm_study_cli_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string edgelm = std::string(EDGELM_BINARY_DIR) + "/bin/edgelm";
  const std::string env = "XDG_CACHE_HOME=" + (dir / "cache").string() + " XDG_DATA_HOME=" + (dir / "data").string() + " ";
  int rc = -1;
  const std::string out = Shell(env + edgelm + " study --quick 2>" + (dir / "stderr.txt").string(), &rc);
  std::ifstream err_in(dir / "stderr.txt");
  const std::string err((std::istreambuf_iterator<char>(err_in)), {});
  ASSERT_EQ(rc, 0) << out << err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out, m, std::regex("report: (\\S+)"))) << out;
  const std::string html_path = m[1].str();
  EXPECT_EQ(html_path.rfind((dir / "data" / "edgelm" / "reports").string(), 0), 0u) << html_path;
  std::ifstream html_in(html_path);
  const std::string html((std::istreambuf_iterator<char>(html_in)), {});
  // Three synthesized files in the cache, one progress line per configuration with ETA.
  for (const char* t : {"F16", "Q8_0", "Q4_0"}) {
    EXPECT_TRUE(fs::exists(dir / "cache" / "edgelm" / (std::string("stories15m-") + t + ".gguf"))) << t;
  }
  EXPECT_EQ(Count(err, "ETA"), 12u) << err;  // 3 files x (pp + tg + tg@256 + request), one thread
  // The total wall time and the time of each phase.
  EXPECT_TRUE(std::regex_search(err, std::regex("wall time [0-9.]+ s: models \\(synthesis, quantization\\) [0-9.]+ s, "
                                                "setup [0-9.]+ s, bench [0-9.]+ s, quality [0-9.]+ s, report [0-9.]+ s")))
      << err;
  // Speed for 3 files x 2 tests at the top thread count; energy for 3 x 3 decode tests.
  EXPECT_EQ(Count(html, "<rect data-series=\"pp\""), 3u);
  EXPECT_EQ(Count(html, "<rect data-series=\"tg\""), 3u);
  // One efficiency point per decode test whose energy the sensor could resolve (the
  // rest are absent with their reason); tg128 x 5 of a 15M model lasts
  // long enough for a 100 ms sensor on any machine this runs on.
  auto in = edgelm::report::LoadReportInput((dir / "data" / "edgelm" / "results.db").string(), std::nullopt);
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  const auto points = edgelm::report::DecodeEfficiency(*in);
  EXPECT_GE(points.size(), 3u) << err;
  EXPECT_EQ(Count(html, "<circle data-series=\"efficiency\""), points.size());
  size_t decode_records = 0;
  for (const auto& e : in->study.energy) decode_records += e.phase == "decode";
  EXPECT_EQ(decode_records, 6u);  // 3 files x (ctx 128 + ctx 256), each a value or a reason
  EXPECT_NE(html.find("id=\"chart-memory\""), std::string::npos);
  EXPECT_NE(html.find("id=\"chart-itl\""), std::string::npos);
  EXPECT_NE(html.find("id=\"chart-power-0\""), std::string::npos);
  EXPECT_NE(html.find("synthesized weights are noise"), std::string::npos);  // quality absent, with its reason
  EXPECT_NE(html.find("Fastest configuration that fits in memory:</b> <span class=\"answer\">"), std::string::npos);

  // `edgelm report` rebuilds the same report from the store.
  const std::string again = (dir / "again.html").string();
  Shell(env + edgelm + " report -o " + again, &rc);
  ASSERT_EQ(rc, 0);
  std::ifstream in2(again);
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in2)), {}), html);
  EXPECT_TRUE(fs::exists(dir / "again.md"));
  // Cloud prices come from the shipped dated table; every price is a flag of both commands.
  EXPECT_NE(html.find("cloud_api.toml"), std::string::npos);
  EXPECT_NE(html.find("gpt-4o-mini"), std::string::npos);
  std::ofstream(dir / "prices.toml") << "[[price]]\nprovider = \"Acme\"\nmodel = \"acme-small\"\n"
                                        "input_usd_per_mtok = 0.5\noutput_usd_per_mtok = 2\ndate = \"2026-01-02\"\n"
                                        "source = \"https://acme.example/pricing\"\n";
  const std::string priced = (dir / "priced.html").string();
  Shell(env + edgelm + " report -o " + priced + " --device-price 80 --lifetime-years 5 --duty-cycle 0.25 " +
            "--electricity-price 0.1 --price-table " + (dir / "prices.toml").string(),
        &rc);
  ASSERT_EQ(rc, 0);
  std::ifstream in3(priced);
  const std::string priced_html((std::istreambuf_iterator<char>(in3)), {});
  EXPECT_NE(priced_html.find("Acme acme-small"), std::string::npos);
  EXPECT_EQ(priced_html.find("gpt-4o-mini"), std::string::npos);
  EXPECT_NE(priced_html.find("--device-price 80, --lifetime-years 5, --duty-cycle 0.25, --electricity-price 0.1"),
            std::string::npos);
  Shell(env + edgelm + " report -o " + priced + " --duty-cycle 2 2>/dev/null", &rc);
  EXPECT_EQ(rc, 2);

  if (fs::exists("/usr/bin/chromium")) {
    const std::string dom = Shell("timeout 90 /usr/bin/chromium --headless --no-sandbox --disable-gpu "
                                "--disable-background-networking --disable-component-update --disable-sync "
                                "--no-first-run --user-data-dir=" + (dir / "profile").string() +
                                " --dump-dom file://" + html_path + " 2>/dev/null",
                                &rc);
    EXPECT_NE(dom.find("data-report-ready=\"1\""), std::string::npos);
    EXPECT_NE(dom.find("id=\"js-errors\" data-count=\"0\""), std::string::npos);
  }
  // A usage error and a bad study file.
  Shell(env + edgelm + " study --resume 999 2>/dev/null", &rc);
  EXPECT_EQ(rc, 1);
  std::ofstream(dir / "bad.toml") << "[models]\nlist = []\n";
  Shell(env + edgelm + " study --config " + (dir / "bad.toml").string() + " 2>/dev/null", &rc);
  EXPECT_EQ(rc, 2);
  fs::remove_all(dir);
}

}  // namespace
