#include "bench/writers.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "bench/results_store.h"
#include "test_records.h"

namespace edgelm::bench {
namespace {

using nlohmann::json;
using testing::TestReport;

// RFC 4180: fields separated by commas, quoted fields may hold commas, quotes ("") and
// newlines.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false, in_field = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') { field += '"'; ++i; }
      else if (c == '"') quoted = false;
      else field += c;
    } else if (c == '"') {
      quoted = true;
      in_field = true;
    } else if (c == ',') {
      rows.back().push_back(field);
      field.clear();
    } else if (c == '\n') {
      rows.back().push_back(field);
      field.clear();
      rows.emplace_back();
    } else {
      field += c;
      in_field = true;
    }
  }
  (void)in_field;
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

const double kPpMeanTs = 12000.0;                   // mean of 16000 and 8000
const double kPpStddevTs = std::sqrt(2 * 4000.0 * 4000.0);  // sample stddev

TEST(WritersTest, JsonCarriesContextAndEveryField) {
  json doc = json::parse(FormatJson(TestReport()));
  EXPECT_EQ(doc["run_id"], 7);
  EXPECT_EQ(doc["status"], "complete");
  const json& ctx = doc["context"];
  EXPECT_EQ(ctx["edgelm_version"], "0.1.0");
  EXPECT_EQ(ctx["build_commit"], "abc1234");
  EXPECT_EQ(ctx["build_type"], "Release");
  EXPECT_EQ(ctx["cpu_info"], "Test CPU, model \"X\"");
  EXPECT_EQ(ctx["n_cores"], 8);
  EXPECT_EQ(ctx["governor"], "performance");
  EXPECT_EQ(ctx["mem_total_bytes"], 16ull << 30);
  EXPECT_EQ(ctx["kernel"], "Linux 6.1.0 x86_64");
  EXPECT_EQ(ctx["date"], "2026-11-21T08:00:00Z");
  EXPECT_EQ(ctx["models"][0]["sha256"], std::string(64, 'a'));
  EXPECT_EQ(ctx["models"][0]["size_bytes"], 1048576);
  ASSERT_EQ(doc["results"].size(), 2u);
  const json& pp = doc["results"][0];
  EXPECT_EQ(pp["model_filename"], "tiny.gguf");
  EXPECT_EQ(pp["model_type"], "llama 260K F32");
  EXPECT_EQ(pp["model_size"], 1000000);
  EXPECT_EQ(pp["model_n_params"], 260000);
  EXPECT_EQ(pp["n_batch"], 512);
  EXPECT_EQ(pp["n_threads"], 2);
  EXPECT_EQ(pp["cpu_mask"], "0x0");
  EXPECT_EQ(pp["type_k"], "f16");
  EXPECT_EQ(pp["n_prompt"], 16);
  EXPECT_EQ(pp["n_gen"], 0);
  EXPECT_EQ(pp["n_depth"], 0);
  EXPECT_EQ(pp["test_time"], "2026-11-21T08:00:01Z");
  EXPECT_DOUBLE_EQ(pp["avg_ns"].get<double>(), 1.5e6);
  EXPECT_NEAR(pp["stddev_ns"].get<double>(), std::sqrt(2 * 0.5e6 * 0.5e6), 1e-6);
  EXPECT_DOUBLE_EQ(pp["avg_ts"].get<double>(), kPpMeanTs);
  EXPECT_NEAR(pp["stddev_ts"].get<double>(), kPpStddevTs, 1e-9);
  EXPECT_EQ(pp["samples_ns"], json({1000000, 2000000}));
  EXPECT_EQ(pp["samples_ts"], json({16000.0, 8000.0}));
  EXPECT_EQ(pp["test"], "pp16");
  EXPECT_EQ(pp["isa"], "avx2");
  EXPECT_EQ(pp["warmups"], 1);
  EXPECT_EQ(pp["high_cv"], true);
  EXPECT_EQ(pp["weights_bytes"], 1000000);
  EXPECT_EQ(pp["kv_bytes"], 65536);
  EXPECT_EQ(pp["scratch_bytes"], 4096);
  EXPECT_EQ(pp["rss_after_load_bytes"], 3 << 20);
  EXPECT_EQ(pp["peak_rss_bytes"], 4 << 20);
  EXPECT_DOUBLE_EQ(pp["load_cold_ms"].get<double>(), 12.5);
  EXPECT_DOUBLE_EQ(pp["load_warm_ms"].get<double>(), 2.5);
  EXPECT_TRUE(pp["ttft_ms"].is_null()) << "not measured for pp: absent, not 0";
  const json& req = doc["results"][1];
  EXPECT_EQ(req["test"], "req4");
  EXPECT_TRUE(req["stddev_ts"].is_null()) << "one repetition: no stddev";
  EXPECT_TRUE(req["load_cold_ms"].is_null());
  EXPECT_DOUBLE_EQ(req["ttft_ms"].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(req["itl_p50_ms"].get<double>(), 4.0);
  EXPECT_NEAR(req["itl_p90_ms"].get<double>(), 5.6, 1e-12);
  EXPECT_NEAR(req["itl_p99_ms"].get<double>(), 5.96, 1e-12);
  EXPECT_DOUBLE_EQ(req["decode_ts"].get<double>(), 250.0);
  EXPECT_NEAR(req["e2e_ts"].get<double>(), 4 / 0.022, 1e-9);
  EXPECT_EQ(req["first_eos_index"], 2);
  EXPECT_EQ(req["eos_ignored"], true);
  EXPECT_EQ(req["generated_text"], "Once, \"upon\" | a\ntime");
}

TEST(WritersTest, RecordJsonRoundTrips) {
  for (const ConfigRecord& r : TestReport().records) {
    auto back = RecordFromJson(RecordToJson(r));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(RecordToJson(*back), RecordToJson(r));
    EXPECT_EQ(back->config.Key(), r.config.Key());
  }
  // A configuration that failed before its warmups ran: warmups run 0, requested 1.
  ConfigRecord failed = testing::PpRecord();
  failed.status = "error";
  failed.error = "out of range: context full";
  failed.warmups = 0;
  failed.samples_ns.clear();
  failed.samples_ts.clear();
  auto failed_back = RecordFromJson(RecordToJson(failed));
  ASSERT_TRUE(failed_back.ok()) << failed_back.status().ToString();
  EXPECT_EQ(failed_back->warmups, 0);
  EXPECT_EQ(failed_back->config.warmups, 1);
  EXPECT_EQ(RecordToJson(*failed_back), RecordToJson(failed));
  json broken = RecordToJson(testing::PpRecord());
  broken.erase("samples_ns");
  EXPECT_EQ(RecordFromJson(broken).status().code(), StatusCode::kCorrupt);
  json tampered = RecordToJson(testing::PpRecord());
  tampered["n_batch"] = 7;
  EXPECT_FALSE(RecordFromJson(tampered).ok());
  auto ctx = RunContextFromJson(RunContextToJson(testing::TestContext()));
  ASSERT_TRUE(ctx.ok());
  EXPECT_EQ(RunContextToJson(*ctx), RunContextToJson(testing::TestContext()));
}

TEST(WritersTest, JsonlLinesStandAlone) {
  std::istringstream in(FormatJsonl(TestReport()));
  std::string line;
  std::vector<json> lines;
  while (std::getline(in, line)) lines.push_back(json::parse(line));
  ASSERT_EQ(lines.size(), 2u);
  for (const json& l : lines) {
    EXPECT_EQ(l["run_id"], 7);
    EXPECT_EQ(l["build_commit"], "abc1234");
    EXPECT_EQ(l["cpu_info"], "Test CPU, model \"X\"");
    EXPECT_EQ(l["kernel"], "Linux 6.1.0 x86_64");
    EXPECT_EQ(l["run_date"], "2026-11-21T08:00:00Z");
    EXPECT_EQ(l["model_file_bytes"], 1048576);
    EXPECT_EQ(l["compiler"], "GNU 12.2.0");
  }
  EXPECT_EQ(lines[0]["test"], "pp16");
  EXPECT_DOUBLE_EQ(lines[0]["avg_ts"].get<double>(), kPpMeanTs);
  EXPECT_EQ(lines[1]["test"], "req4");
  EXPECT_DOUBLE_EQ(lines[1]["ttft_ms"].get<double>(), 10.0);
}

TEST(WritersTest, CsvParsesBack) {
  auto rows = ParseCsv(FormatCsv(TestReport()));
  ASSERT_EQ(rows.size(), 3u);
  const std::vector<std::string> cols = CsvColumns();
  ASSERT_EQ(rows[0], cols);
  std::map<std::string, size_t> at;
  for (size_t i = 0; i < cols.size(); ++i) at[cols[i]] = i;
  for (size_t r = 1; r < rows.size(); ++r) ASSERT_EQ(rows[r].size(), cols.size()) << "row " << r;
  const auto& pp = rows[1];
  EXPECT_EQ(pp[at["run_id"]], "7");
  EXPECT_EQ(pp[at["cpu_info"]], "Test CPU, model \"X\"");
  EXPECT_EQ(pp[at["model_file_bytes"]], "1048576");
  EXPECT_EQ(pp[at["isa_best"]], "avx2");
  EXPECT_EQ(pp[at["build_flags"]], "-O3");
  EXPECT_EQ(pp[at["governor"]], "performance");
  EXPECT_EQ(pp[at["model_filename"]], "tiny.gguf");
  EXPECT_EQ(pp[at["n_threads"]], "2");
  EXPECT_EQ(pp[at["test"]], "pp16");
  EXPECT_DOUBLE_EQ(std::stod(pp[at["avg_ts"]]), kPpMeanTs);
  EXPECT_NEAR(std::stod(pp[at["stddev_ts"]]), kPpStddevTs, 1e-9);
  EXPECT_EQ(pp[at["samples_ns"]], "1000000 2000000");
  EXPECT_EQ(pp[at["samples_ts"]], "16000.0 8000.0");
  EXPECT_EQ(pp[at["ttft_ms"]], "") << "absent is an empty cell";
  EXPECT_EQ(pp[at["peak_rss_bytes"]], std::to_string(4 << 20));
  const auto& req = rows[2];
  EXPECT_EQ(req[at["test"]], "req4");
  EXPECT_EQ(req[at["stddev_ts"]], "");
  EXPECT_DOUBLE_EQ(std::stod(req[at["ttft_ms"]]), 10.0);
  EXPECT_NEAR(std::stod(req[at["itl_p90_ms"]]), 5.6, 1e-12);
  EXPECT_EQ(req[at["load_cold_ms"]], "");
  EXPECT_EQ(req[at["load_note"]], "page cache could not be dropped");
}

std::vector<std::string> Cells(const std::string& line) {
  std::vector<std::string> cells;
  std::string cur;
  for (size_t i = 1; i < line.size(); ++i) {
    if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '|') { cur += '|'; ++i; continue; }
    if (line[i] == '|') {
      size_t b = cur.find_first_not_of(' '), e = cur.find_last_not_of(' ');
      cells.push_back(b == std::string::npos ? "" : cur.substr(b, e - b + 1));
      cur.clear();
    } else {
      cur += line[i];
    }
  }
  return cells;
}

TEST(WritersTest, MarkdownMirrorsLlamaBench) {
  const std::string md = FormatMarkdown(TestReport());
  std::istringstream in(md);
  std::string line;
  std::vector<std::string> table;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '|') table.push_back(line);
    else if (!table.empty()) break;
  }
  ASSERT_EQ(table.size(), 4u) << md;
  EXPECT_EQ(Cells(table[0]), (std::vector<std::string>{"model", "size", "params", "backend", "threads", "isa", "test",
                                                       "t/s", "median t/s", "peak RSS", "TTFT ms",
                                                       "ITL p50/p90/p99 ms", "decode t/s", "e2e t/s"}));
  auto pp = Cells(table[2]);
  ASSERT_EQ(pp.size(), 14u);
  EXPECT_EQ(pp[0], "llama 260K F32");
  EXPECT_EQ(pp[1], "976.56 KiB");
  EXPECT_EQ(pp[2], "260.00 K");
  EXPECT_EQ(pp[3], "CPU");
  EXPECT_EQ(pp[4], "2");
  EXPECT_EQ(pp[5], "avx2");
  EXPECT_EQ(pp[6], "pp16");
  EXPECT_EQ(pp[7], "12000.00 ± 5656.85 *") << "mean ± sd, starred for CV > 5%";
  EXPECT_EQ(pp[8], "12000.00");
  EXPECT_EQ(pp[9], "4.00 MiB");
  EXPECT_EQ(pp[10], "-");
  auto req = Cells(table[3]);
  EXPECT_EQ(req[6], "req4");
  EXPECT_EQ(req[7], "181.82") << "one repetition: no ± part";
  EXPECT_EQ(req[10], "10.00");
  EXPECT_EQ(req[11], "4.00 / 5.60 / 5.96");
  EXPECT_EQ(req[12], "250.00");
  // The context comes first.
  EXPECT_EQ(md.rfind("- edgelm 0.1.0, commit abc1234, Release build", 0), 0u) << md;
  EXPECT_NE(md.find("- CPU: Test CPU, model \"X\", 8 CPUs online"), std::string::npos);
  EXPECT_NE(md.find("governor performance"), std::string::npos);
  EXPECT_NE(md.find("- memory: 16.00 GiB total"), std::string::npos);
  EXPECT_NE(md.find("- kernel: Linux 6.1.0 x86_64"), std::string::npos);
  EXPECT_NE(md.find("- date: 2026-11-21T08:00:00Z, run 7"), std::string::npos);
  EXPECT_NE(md.find("sha256 " + std::string(64, 'a')), std::string::npos);
  EXPECT_NE(md.find("- warning: CPU frequency governor"), std::string::npos);
  EXPECT_NE(md.find("end-of-generation tokens are ignored"), std::string::npos);
  EXPECT_NE(md.find("| llama 260K F32 | 2 | avx2 | pp16 | 976.56 KiB | 64.00 KiB | 4.00 KiB | 3.00 MiB | 4.00 MiB (config) | 12.5 | 2.5 |"),
            std::string::npos) << md;
}

TEST(WritersTest, MarkdownShowsNonDefaultParameters) {
  BenchReport report = TestReport();
  report.records[1].config.n_batch = 64;
  report.records[0].config.type_k = "f32";
  report.records[1].status = "error";
  report.records[1].error = "context overflow";
  const std::string md = FormatMarkdown(report);
  EXPECT_NE(md.find("| model | size | params | backend | threads | n_batch | type_k | isa | test |"), std::string::npos) << md;
  EXPECT_NE(md.find("error: context overflow"), std::string::npos);
}

TEST(WritersTest, SqliteWriterFileAnswersQueries) {
  const std::string path = std::string(::testing::TempDir()) + "/writers_test.db";
  std::remove(path.c_str());
  ASSERT_TRUE(WriteReport(TestReport(), OutputFormat::kSqlite, path).ok());
  EXPECT_FALSE(WriteReport(TestReport(), OutputFormat::kSqlite, "").ok());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  auto scalar = [&](const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
    EXPECT_EQ(sqlite3_step(st), SQLITE_ROW) << sql;
    const unsigned char* t = sqlite3_column_text(st, 0);
    std::string v = t ? reinterpret_cast<const char*>(t) : "NULL";
    sqlite3_finalize(st);
    return v;
  };
  EXPECT_EQ(scalar("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM runs"), "1");
  EXPECT_EQ(scalar("SELECT status FROM runs"), "complete");
  EXPECT_EQ(scalar("SELECT cpu_info FROM runs"), "Test CPU, model \"X\"");
  EXPECT_EQ(scalar("SELECT sha256 FROM run_models"), std::string(64, 'a'));
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM configurations"), "2");
  EXPECT_DOUBLE_EQ(std::stod(scalar("SELECT avg_ts FROM configurations WHERE test = 'pp16'")), kPpMeanTs);
  EXPECT_EQ(scalar("SELECT ttft_ms FROM configurations WHERE test = 'pp16'"), "NULL");
  EXPECT_DOUBLE_EQ(std::stod(scalar("SELECT ttft_ms FROM configurations WHERE test = 'req4'")), 10.0);
  EXPECT_EQ(scalar("SELECT group_concat(value, ' ') FROM (SELECT value FROM samples s JOIN configurations c "
                   "USING(config_id) WHERE c.test = 'pp16' AND metric = 'ns' ORDER BY rep)"),
            "1000000.0 2000000.0");
  EXPECT_EQ(scalar("SELECT COUNT(*) FROM samples s JOIN configurations c USING(config_id) "
                   "WHERE c.test = 'req4' AND metric = 'itl_ms'"), "3");
  sqlite3_close(db);
  std::remove(path.c_str());
}

TEST(WritersTest, FormatNamesAndFiles) {
  EXPECT_EQ(*ParseOutputFormat("jsonl"), OutputFormat::kJsonl);
  auto bad = ParseOutputFormat("xml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("md, csv, json, jsonl or sqlite"), std::string::npos);
  const std::string path = std::string(::testing::TempDir()) + "/writers_test.json";
  ASSERT_TRUE(WriteReport(TestReport(), OutputFormat::kJson, path).ok());
  std::ifstream in(path);
  json doc = json::parse(in);
  EXPECT_EQ(doc["results"].size(), 2u);
  std::remove(path.c_str());
  EXPECT_FALSE(WriteReport(TestReport(), OutputFormat::kCsv, "/nonexistent-dir/x.csv").ok());
  EXPECT_EQ(FormatBytes(512), "512 B");
  EXPECT_EQ(FormatBytes(3ull << 30), "3.00 GiB");
  EXPECT_EQ(FormatParams(6740000000ull), "6.74 B");
  EXPECT_EQ(FormatParams(1100000), "1.10 M");
}

}  // namespace
}  // namespace edgelm::bench
