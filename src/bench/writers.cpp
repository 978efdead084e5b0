#include "bench/writers.h"

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "bench/energy_table.h"
#include "bench/results_store.h"

namespace edgelm::bench {
namespace {

using nlohmann::json;

std::string Fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string OptFmt(const char* format, const std::optional<double>& v) { return v ? Fmt(format, *v) : "-"; }

// Context fields repeated on every CSV row and JSONL line (llama-bench names where they
// exist), with the file size of the row's model.
json ContextFields(const BenchReport& report, const ConfigRecord& r) {
  const RunContext& c = report.context;
  json file_bytes = nullptr;
  for (const auto& m : c.models) {
    if (m.path == r.config.model_path) file_bytes = m.size_bytes;
  }
  json f = {{"run_id", report.run_id ? json(*report.run_id) : json(nullptr)},
            {"run_status", report.status},
            {"edgelm_version", c.edgelm_version},
            {"build_commit", c.build_commit},
            {"build_type", c.build_type},
            {"compiler", c.compiler},
            {"build_flags", c.build_flags},
            {"isa_best", c.isa_best},
            {"model_file_bytes", file_bytes},
            {"cpu_info", c.cpu_info},
            {"n_cores", c.n_cores},
            {"governor", c.governor ? json(*c.governor) : json(nullptr)},
            {"mem_total_bytes", c.mem_total_bytes ? json(*c.mem_total_bytes) : json(nullptr)},
            {"kernel", c.kernel},
            {"run_date", c.date}};
  return f;
}

const std::vector<std::string>& ContextColumns() {
  static const std::vector<std::string> cols = {"run_id", "run_status", "edgelm_version", "build_commit",
                                                "build_type", "compiler", "build_flags", "isa_best",
                                                "model_file_bytes", "cpu_info", "n_cores", "governor",
                                                "mem_total_bytes", "kernel", "run_date"};
  return cols;
}

const std::vector<std::string>& RecordColumns() {
  static const std::vector<std::string> cols = {
      "model_filename", "model_type", "model_size", "model_n_params", "model_sha256", "backend", "n_batch",
      "n_threads", "cpu_mask", "type_k", "n_prompt", "n_gen", "n_depth", "test_time", "avg_ns", "stddev_ns",
      "avg_ts", "stddev_ts", "samples_ns", "samples_ts", "test", "test_kind", "config_index", "model_path",
      "n_ctx", "isa", "isa_requested", "priority", "repetitions", "warmups", "status", "error", "median_ts",
      "min_ts", "max_ts", "cv_ts", "ci95_low_ts", "ci95_high_ts", "high_cv", "ttft_ms", "itl_p50_ms",
      "itl_p90_ms", "itl_p99_ms", "decode_ts", "e2e_ts", "eos_ignored", "first_eos_index", "weights_bytes",
      "kv_bytes", "scratch_bytes", "rss_after_load_bytes", "peak_rss_bytes", "peak_rss_scope", "load_cold_ms",
      "load_warm_ms", "load_note"};
  return cols;
}

std::string CsvQuote(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

std::string CsvCell(const json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return CsvQuote(v.get<std::string>());
  if (v.is_array()) {
    std::string s;
    for (const auto& e : v) {
      if (!s.empty()) s += ' ';
      s += e.dump();
    }
    return s;
  }
  return v.dump();
}

std::string MdCell(std::string s) {
  // A '|' inside a cell would split the row.
  for (size_t pos = 0; (pos = s.find('|', pos)) != std::string::npos; pos += 2) s.replace(pos, 1, "\\|");
  for (char& ch : s) if (ch == '\n') ch = ' ';
  return s;
}

std::string OptBytes(const std::optional<uint64_t>& v) { return v ? FormatBytes(*v) : "-"; }

}  // namespace

std::string FormatBytes(uint64_t bytes) {
  constexpr double kKiB = 1024.0, kMiB = kKiB * 1024, kGiB = kMiB * 1024;
  const double b = static_cast<double>(bytes);
  if (b >= kGiB) return Fmt("%.2f GiB", b / kGiB);
  if (b >= kMiB) return Fmt("%.2f MiB", b / kMiB);
  if (b >= kKiB) return Fmt("%.2f KiB", b / kKiB);
  return std::to_string(bytes) + " B";
}

std::string FormatParams(uint64_t n) {
  const double v = static_cast<double>(n);
  if (v >= 1e9) return Fmt("%.2f B", v / 1e9);
  if (v >= 1e6) return Fmt("%.2f M", v / 1e6);
  if (v >= 1e3) return Fmt("%.2f K", v / 1e3);
  return std::to_string(n);
}

Result<OutputFormat> ParseOutputFormat(const std::string& name) {
  if (name == "md") return OutputFormat::kMarkdown;
  if (name == "csv") return OutputFormat::kCsv;
  if (name == "json") return OutputFormat::kJson;
  if (name == "jsonl") return OutputFormat::kJsonl;
  if (name == "sqlite") return OutputFormat::kSqlite;
  return InvalidArgumentError("-o: unknown output format '" + name + "' (expected md, csv, json, jsonl or sqlite)");
}

const char* OutputFormatName(OutputFormat format) {
  switch (format) {
    case OutputFormat::kMarkdown: return "md";
    case OutputFormat::kCsv: return "csv";
    case OutputFormat::kJson: return "json";
    case OutputFormat::kJsonl: return "jsonl";
    case OutputFormat::kSqlite: return "sqlite";
  }
  return "?";
}

std::vector<std::string> CsvColumns() {
  std::vector<std::string> cols = ContextColumns();
  cols.insert(cols.end(), RecordColumns().begin(), RecordColumns().end());
  cols.insert(cols.end(), EnergyFlatColumns().begin(), EnergyFlatColumns().end());
  return cols;
}

std::string FormatCsv(const BenchReport& report) {
  std::ostringstream out;
  const std::vector<std::string> cols = CsvColumns();
  for (size_t i = 0; i < cols.size(); ++i) out << (i ? "," : "") << cols[i];
  out << "\n";
  for (const ConfigRecord& r : report.records) {
    const json ctx = ContextFields(report, r);
    const json rec = RecordToJson(r);
    for (size_t i = 0; i < cols.size(); ++i) {
      const json& v = i < ContextColumns().size() ? ctx.at(cols[i]) : rec.at(cols[i]);
      out << (i ? "," : "") << CsvCell(v);
    }
    out << "\n";
  }
  return out.str();
}

std::string FormatJson(const BenchReport& report) {
  json results = json::array();
  for (const ConfigRecord& r : report.records) results.push_back(RecordToJson(r));
  json doc = {{"context", RunContextToJson(report.context)},
              {"run_id", report.run_id ? json(*report.run_id) : json(nullptr)},
              {"status", report.status},
              {"results", results}};
  return doc.dump(2) + "\n";
}

std::string FormatJsonl(const BenchReport& report) {
  std::string out;
  for (const ConfigRecord& r : report.records) {
    json line = RecordToJson(r);
    const json ctx = ContextFields(report, r);
    for (const auto& [k, v] : ctx.items()) line[k] = v;
    out += line.dump() + "\n";
  }
  return out;
}

std::string FormatMarkdown(const BenchReport& report) {
  const RunContext& c = report.context;
  std::ostringstream out;
  out << "- edgelm " << c.edgelm_version << ", commit " << c.build_commit << ", " << c.build_type << " build ("
      << c.compiler << ")" << (c.sanitizers ? ", ASan/UBSan" : "") << "\n";
  out << "- CPU: " << c.cpu_info << ", " << c.n_cores << " CPUs online, best ISA path " << c.isa_best
      << "; governor " << c.governor.value_or("unknown") << "\n";
  out << "- memory: " << OptBytes(c.mem_total_bytes) << " total, " << OptBytes(c.mem_available_bytes)
      << " available at start\n";
  out << "- kernel: " << c.kernel << "\n";
  out << "- date: " << c.date << (report.run_id ? ", run " + std::to_string(*report.run_id) : "") << ", status "
      << report.status << "\n";
  for (const auto& m : c.models) {
    out << "- model " << m.filename << ": " << FormatBytes(m.size_bytes) << " (" << m.size_bytes << " bytes), sha256 "
        << (m.sha256.empty() ? "not computed" : m.sha256) << "\n";
  }
  for (const auto& w : c.warnings) out << "- warning: " << w << "\n";
  out << "\n";

  // Like llama-bench, a parameter gets a column only where it is not the default or varies.
  auto varies = [&](auto get, auto default_value) {
    std::set<decltype(default_value)> values;
    for (const auto& r : report.records) values.insert(get(r));
    return values.size() > 1 || (values.size() == 1 && *values.begin() != default_value);
  };
  const bool show_batch = varies([](const ConfigRecord& r) { return r.config.n_batch; }, 512u);
  const bool show_ctk = varies([](const ConfigRecord& r) { return r.config.type_k; }, std::string("f16"));
  const bool show_ctx = varies([](const ConfigRecord& r) { return r.config.n_ctx; }, 0u);
  const bool show_mask = varies([](const ConfigRecord& r) { return r.config.cpu_mask; }, std::string("0x0"));
  const bool show_prio = varies([](const ConfigRecord& r) { return r.config.priority; }, 0);
  bool any_request = false, any_fixed_gen = false, any_high_cv = false;
  for (const auto& r : report.records) {
    any_request |= r.config.kind == TestKind::kRequest;
    any_fixed_gen |= r.config.kind != TestKind::kPrompt;
  }

  // The parameter columns both tables share: threads, the shown parameters, isa, test.
  auto param_heads = [&](std::vector<std::string>& head) {
    head.push_back("threads");
    if (show_batch) head.push_back("n_batch");
    if (show_ctk) head.push_back("type_k");
    if (show_ctx) head.push_back("n_ctx");
    head.push_back("isa");
    if (show_mask) head.push_back("cpu_mask");
    if (show_prio) head.push_back("prio");
    head.push_back("test");
  };
  auto param_cells = [&](const ConfigRecord& r, std::vector<std::string>& cells) {
    cells.push_back(std::to_string(r.n_threads ? r.n_threads : r.config.n_threads));
    if (show_batch) cells.push_back(std::to_string(r.config.n_batch));
    if (show_ctk) cells.push_back(r.config.type_k);
    if (show_ctx) cells.push_back(std::to_string(r.n_ctx));
    cells.push_back(r.isa.empty() ? r.config.isa : r.isa);
    if (show_mask) cells.push_back(r.config.cpu_mask);
    if (show_prio) cells.push_back(std::to_string(r.config.priority));
    cells.push_back(r.config.TestName());
  };
  std::vector<std::string> head = {"model", "size", "params", "backend"};
  param_heads(head);
  for (const char* h : {"t/s", "median t/s", "peak RSS"}) head.push_back(h);
  if (any_request) {
    for (const char* h : {"TTFT ms", "ITL p50/p90/p99 ms", "decode t/s", "e2e t/s"}) head.push_back(h);
  }
  auto row = [&](const std::vector<std::string>& cells) {
    out << "|";
    for (const auto& cell : cells) out << " " << MdCell(cell) << " |";
    out << "\n";
  };
  auto header = [&](const std::vector<std::string>& names) {
    row(names);
    out << "|";
    for (const auto& h : names) {
      const bool left = h == "model" || h == "backend" || h == "isa" || h == "type_k" || h == "cpu_mask";
      out << (left ? " ------ |" : " ------: |");
    }
    out << "\n";
  };
  header(head);
  for (const ConfigRecord& r : report.records) {
    const DerivedMetrics d = Derive(r);
    std::vector<std::string> cells = {r.model_type.empty() ? r.model_filename : r.model_type,
                                      r.model_size ? FormatBytes(*r.model_size) : "-",
                                      r.model_n_params ? FormatParams(*r.model_n_params) : "-", r.backend};
    param_cells(r, cells);
    if (r.status != "ok") {
      cells.push_back("error: " + r.error);
      cells.push_back("-");
    } else {
      std::string ts = OptFmt("%.2f", d.ts.mean);
      if (d.ts.stddev) ts += " ± " + Fmt("%.2f", *d.ts.stddev);
      if (d.ts.high_cv) {
        ts += " *";
        any_high_cv = true;
      }
      cells.push_back(ts);
      cells.push_back(OptFmt("%.2f", d.ts.median));
    }
    cells.push_back(OptBytes(r.peak_rss_bytes));
    if (any_request) {
      const bool req = r.config.kind == TestKind::kRequest;
      cells.push_back(req ? OptFmt("%.2f", d.ttft_ms) : "-");
      cells.push_back(req && d.itl_p50_ms ? Fmt("%.2f", *d.itl_p50_ms) + " / " + Fmt("%.2f", *d.itl_p90_ms) + " / " +
                                                Fmt("%.2f", *d.itl_p99_ms)
                                          : "-");
      cells.push_back(req ? OptFmt("%.2f", d.decode_ts) : "-");
      cells.push_back(req ? OptFmt("%.2f", d.e2e_ts) : "-");
    }
    row(cells);
  }
  out << "\n";
  if (!report.records.empty()) {
    out << "t/s: mean ± sample stddev over " << report.records.front().config.repetitions
        << " repetitions (warmups excluded); ";
    out << "pp N: one prefill of N tokens; tg N: N single-token decode steps; pp N+tg M: (N+M) / total time.";
    if (any_fixed_gen) out << " Generation is fixed-length: end-of-generation tokens are ignored.";
    out << "\n";
    if (any_request) {
      out << "Request: TTFT = tokenization + prefill + first sample; decode t/s excludes the first token; "
             "e2e t/s = generated tokens / (last token - request start).\n";
    }
    if (any_high_cv) {
      out << "* coefficient of variation above " << Fmt("%.0f", kHighCvThreshold * 100)
          << "%: noisy, compare with care.\n";
    }
    out << "\n";
    std::vector<std::string> mem_head = {"model"};
    param_heads(mem_head);
    for (const char* h : {"weights", "KV cache", "scratch", "RSS after load", "peak RSS", "load cold ms", "load warm ms"}) {
      mem_head.push_back(h);
    }
    header(mem_head);
    for (const ConfigRecord& r : report.records) {
      std::string peak = OptBytes(r.peak_rss_bytes);
      if (r.peak_rss_bytes && !r.peak_rss_scope.empty()) peak += " (" + r.peak_rss_scope + ")";
      std::vector<std::string> cells = {r.model_type.empty() ? r.model_filename : r.model_type};
      param_cells(r, cells);
      for (std::string v : {OptBytes(r.weights_bytes), OptBytes(r.kv_bytes), OptBytes(r.scratch_bytes),
                            OptBytes(r.rss_after_load_bytes), peak, OptFmt("%.1f", r.load_cold_ms),
                            OptFmt("%.1f", r.load_warm_ms)}) {
        cells.push_back(std::move(v));
      }
      row(cells);
    }
    const std::string energy = FormatEnergyMarkdown(report.records);
    if (!energy.empty()) out << "\n" << energy;
  }
  return out.str();
}

Status WriteReport(const BenchReport& report, OutputFormat format, const std::string& path) {
  if (format == OutputFormat::kSqlite) {
    if (path.empty()) return InvalidArgumentError("-o sqlite needs a file: add --output FILE.db");
    return WriteReportToStoreFile(report, path);
  }
  std::string text;
  switch (format) {
    case OutputFormat::kMarkdown: text = FormatMarkdown(report); break;
    case OutputFormat::kCsv: text = FormatCsv(report); break;
    case OutputFormat::kJson: text = FormatJson(report); break;
    case OutputFormat::kJsonl: text = FormatJsonl(report); break;
    case OutputFormat::kSqlite: break;
  }
  if (path.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return Status::Ok();
  }
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return IoError("cannot open '" + path + "' for writing: " + ErrnoText(errno));
  f << text;
  f.close();
  if (!f) return IoError("writing '" + path + "' failed (disk full?)");
  return Status::Ok();
}

}  // namespace edgelm::bench
