// Writers: each turns the same plain records (run_record.h) into one output format.
// Every output carries the run context first (MEASUREMENT.md): Markdown as a list above
// the tables, JSON as a "context" object, CSV and JSONL as context columns/fields
// repeated on every row so each row stands alone.
//
//   md     llama-bench's table (| model | size | params | backend | threads | test | t/s |)
//          with our columns, and a memory/load table
//   csv    one row per configuration, RFC 4180 quoting; sample lists space-separated
//   json   {"context": {...}, "run_id": N, "status": "...", "results": [record...]}
//   jsonl  one record per line, context fields included in each line
//   sqlite a results-store file (results_store.h schema); needs a file path
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/run_record.h"
#include "core/status.h"

namespace edgelm::bench {

enum class OutputFormat { kMarkdown, kCsv, kJson, kJsonl, kSqlite };
Result<OutputFormat> ParseOutputFormat(const std::string& name);  // md|csv|json|jsonl|sqlite
const char* OutputFormatName(OutputFormat format);

struct BenchReport {
  RunContext context;
  std::optional<int64_t> run_id;     // in the results store
  std::string status = "complete";   // "complete", "interrupted", "failed", "running"
  std::vector<ConfigRecord> records;
};

std::string FormatMarkdown(const BenchReport& report);
std::string FormatCsv(const BenchReport& report);
std::string FormatJson(const BenchReport& report);
std::string FormatJsonl(const BenchReport& report);
// The column names FormatCsv writes, in order.
std::vector<std::string> CsvColumns();

// Writes the report in `format` to `path`, or to stdout when path is empty (not for
// sqlite, which needs a file).
Status WriteReport(const BenchReport& report, OutputFormat format, const std::string& path);

// "1.23 GiB", "4.50 MiB", "12.00 KiB", "512 B".
std::string FormatBytes(uint64_t bytes);
// "6.74 B", "260.00 K"-style parameter counts as llama-bench prints them.
std::string FormatParams(uint64_t n);

}  // namespace edgelm::bench
