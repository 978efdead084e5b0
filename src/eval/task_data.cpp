#include "eval/task_data.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace edgelm {
namespace {

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot open task file '" + path + "'");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Where(const std::string& path, size_t line) { return "'" + path + "' line " + std::to_string(line); }

// The text appended between a context and its continuation: lm-evaluation-harness's
// target_delimiter " ", unless the context already ends in white space.
std::string WithDelimiter(const std::string& context, const std::string& continuation) {
  if (!context.empty() && (context.back() == ' ' || context.back() == '\n')) return continuation;
  return " " + continuation;
}

// Reads a JSONL file line by line; `fn(json, line_no)` returns an error to stop.
template <typename Fn>
Status ForEachJsonLine(const std::string& path, size_t limit, Fn&& fn) {
  std::ifstream in(path);
  if (!in) return NotFoundError("cannot open task file '" + path + "'");
  std::string line;
  size_t line_no = 0, n = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (limit != 0 && n >= limit) break;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      return CorruptError(Where(path, line_no) + ": not a JSON object (truncated or malformed line?)");
    }
    EDGELM_RETURN_IF_ERROR(fn(j, line_no));
    ++n;
  }
  if (n == 0) return CorruptError("task file '" + path + "' holds no items");
  return Status::Ok();
}

Result<std::string> JsonString(const nlohmann::json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end()) return CorruptError(where + ": missing field '" + key + "'");
  if (!it->is_string()) return CorruptError(where + ": field '" + key + "' is not a string");
  return it->get<std::string>();
}

Result<std::vector<std::string>> JsonStrings(const nlohmann::json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end()) return CorruptError(where + ": missing field '" + key + "'");
  if (!it->is_array() || it->size() < 2) return CorruptError(where + ": field '" + key + "' must be an array of at least 2 strings");
  std::vector<std::string> out;
  for (const auto& e : *it) {
    if (!e.is_string()) return CorruptError(where + ": field '" + key + "' holds a non-string element");
    out.push_back(e.get<std::string>());
  }
  return out;
}

Result<int> JsonGold(const nlohmann::json& j, size_t n_choices, const std::string& where) {
  auto it = j.find("gold");
  if (it == j.end()) return CorruptError(where + ": missing field 'gold'");
  if (!it->is_number_integer()) return CorruptError(where + ": field 'gold' is not an integer");
  int64_t g = it->get<int64_t>();
  if (g < 0 || static_cast<size_t>(g) >= n_choices) {
    return CorruptError(where + ": gold index " + std::to_string(g) + " outside 0.." + std::to_string(n_choices - 1));
  }
  return static_cast<int>(g);
}

std::string TrimCr(std::string s) {
  if (!s.empty() && s.back() == '\r') s.pop_back();
  return s;
}

}  // namespace

const std::vector<std::string>& KnownTaskNames() {
  static const std::vector<std::string> names = {
      "hellaswag", "arc_easy", "arc_challenge", "piqa", "winogrande", "openbook_qa",
      "siqa", "copa", "commonsense_qa", "boolq", "mmlu", "lambada"};
  return names;
}

Result<TaskData> ParseHellaswag(const std::string& path, size_t limit) {
  std::ifstream in(path);
  if (!in) return NotFoundError("cannot open HellaSwag file '" + path + "'");
  TaskData task{"hellaswag", {}, {}};
  std::string lines[6];
  size_t line_no = 0;
  for (;;) {
    if (limit != 0 && task.items.size() >= limit) break;
    size_t got = 0;
    for (; got < 6 && std::getline(in, lines[got]); ++got) lines[got] = TrimCr(lines[got]);
    line_no += got;
    if (got == 0) break;
    if (got < 6) {
      return CorruptError(Where(path, line_no) + ": task " + std::to_string(task.items.size() + 1) +
                          " has " + std::to_string(got) + " of its 6 lines (context, gold, 4 endings): truncated file?");
    }
    const size_t gold_line = line_no - 4;
    int gold = -1;
    if (lines[1].size() == 1 && lines[1][0] >= '0' && lines[1][0] <= '3') gold = lines[1][0] - '0';
    if (gold < 0) {
      return CorruptError(Where(path, gold_line) + ": expected the gold index 0-3, found '" + lines[1].substr(0, 40) +
                          "' (lines out of step: each task is exactly 6 lines)");
    }
    ChoiceItem item;
    item.contexts = {lines[0]};
    for (int e = 0; e < 4; ++e) item.continuations.push_back(WithDelimiter(lines[0], lines[2 + e]));
    item.gold = gold;
    task.items.push_back(std::move(item));
  }
  if (task.items.empty()) return CorruptError("HellaSwag file '" + path + "' holds no tasks");
  return task;
}

Result<TaskData> ParseChoiceJsonl(const std::string& name, const std::string& path, size_t limit) {
  TaskData task{name, {}, {}};
  Status st = ForEachJsonLine(path, limit, [&](const nlohmann::json& j, size_t line_no) -> Status {
    const std::string where = Where(path, line_no);
    EDGELM_ASSIGN_OR_RETURN(std::string query, JsonString(j, "query", where));
    EDGELM_ASSIGN_OR_RETURN(std::vector<std::string> choices, JsonStrings(j, "choices", where));
    EDGELM_ASSIGN_OR_RETURN(int gold, JsonGold(j, choices.size(), where));
    ChoiceItem item;
    item.contexts = {query};
    for (const auto& c : choices) item.continuations.push_back(WithDelimiter(query, c));
    item.gold = gold;
    task.items.push_back(std::move(item));
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return task;
}

Result<TaskData> ParseWinograndeJsonl(const std::string& path, size_t limit) {
  TaskData task{"winogrande", {}, {}};
  Status st = ForEachJsonLine(path, limit, [&](const nlohmann::json& j, size_t line_no) -> Status {
    const std::string where = Where(path, line_no);
    EDGELM_ASSIGN_OR_RETURN(std::vector<std::string> options, JsonStrings(j, "context_options", where));
    EDGELM_ASSIGN_OR_RETURN(std::string continuation, JsonString(j, "continuation", where));
    EDGELM_ASSIGN_OR_RETURN(int gold, JsonGold(j, options.size(), where));
    ChoiceItem item;
    item.contexts = options;
    // Partial evaluation: each option fills the blank in the context; the shared suffix
    // is the continuation whose likelihood is compared.
    item.continuations = {WithDelimiter(options[0], continuation)};
    item.gold = gold;
    task.items.push_back(std::move(item));
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return task;
}

Result<TaskData> ParseLambadaJsonl(const std::string& path, size_t limit) {
  TaskData task{"lambada", {}, {}};
  Status st = ForEachJsonLine(path, limit, [&](const nlohmann::json& j, size_t line_no) -> Status {
    const std::string where = Where(path, line_no);
    EDGELM_ASSIGN_OR_RETURN(std::string context, JsonString(j, "context", where));
    EDGELM_ASSIGN_OR_RETURN(std::string continuation, JsonString(j, "continuation", where));
    if (continuation.empty()) return CorruptError(where + ": empty 'continuation'");
    task.lambada.push_back({context, WithDelimiter(context, continuation)});
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return task;
}

Result<std::vector<std::string>> ReadCsvRecord(const std::string& text, size_t& pos, size_t& line) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false, field_started_quoted = false;
  const size_t start_line = line;
  while (pos < text.size()) {
    char c = text[pos++];
    if (quoted) {
      if (c == '"') {
        if (pos < text.size() && text[pos] == '"') {
          field += '"';
          ++pos;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && field.empty() && !field_started_quoted) {
      quoted = field_started_quoted = true;
    } else if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
      field_started_quoted = false;
    } else if (c == '\n') {
      ++line;
      if (!field.empty() && field.back() == '\r') field.pop_back();
      fields.push_back(std::move(field));
      return fields;
    } else {
      field += c;
    }
  }
  if (quoted) return CorruptError("CSV record starting at line " + std::to_string(start_line) + " has an unterminated quote");
  fields.push_back(std::move(field));
  return fields;
}

namespace {

struct MmluQuestion {
  std::string question;
  std::string choices[4];
  int answer;
};

Result<std::vector<MmluQuestion>> ReadMmluCsv(const std::string& path) {
  EDGELM_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  std::vector<MmluQuestion> out;
  size_t pos = 0, line = 1;
  bool header = true;
  while (pos < text.size()) {
    const size_t record_line = line;
    EDGELM_ASSIGN_OR_RETURN(std::vector<std::string> f, ReadCsvRecord(text, pos, line));
    if (f.size() == 1 && f[0].empty()) continue;  // blank line
    if (f.size() != 6) {
      return CorruptError(Where(path, record_line) + ": expected 6 fields (question,choice0..3,answer), found " +
                          std::to_string(f.size()));
    }
    if (header) {
      header = false;
      if (f[0] == "question") continue;
    }
    if (f[5].size() != 1 || f[5][0] < '0' || f[5][0] > '3') {
      return CorruptError(Where(path, record_line) + ": answer must be 0-3, found '" + f[5] + "'");
    }
    out.push_back({f[0], {f[1], f[2], f[3], f[4]}, f[5][0] - '0'});
  }
  return out;
}

std::string MmluBlock(const MmluQuestion& q) {
  static const char* kLetters[] = {"A", "B", "C", "D"};
  std::string s = q.question + "\n";
  for (int i = 0; i < 4; ++i) s += std::string(kLetters[i]) + ". " + q.choices[i] + "\n";
  return s + "Answer:";
}

}  // namespace

Result<TaskData> ParseMmlu(const std::string& data_dir, int shots, size_t limit) {
  namespace fs = std::filesystem;
  const fs::path test_dir = fs::path(data_dir) / "test";
  std::error_code ec;
  if (!fs::is_directory(test_dir, ec)) return NotFoundError("MMLU test directory '" + test_dir.string() + "' not found");
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(test_dir, ec)) {
    if (e.path().extension() == ".csv") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) return NotFoundError("no MMLU *_test.csv files in '" + test_dir.string() + "'");
  TaskData task{"mmlu", {}, {}};
  for (const auto& file : files) {
    std::string subject = file.stem().string();
    if (subject.size() > 5 && subject.compare(subject.size() - 5, 5, "_test") == 0) subject.resize(subject.size() - 5);
    std::string pretty = subject;
    std::replace(pretty.begin(), pretty.end(), '_', ' ');
    std::string prompt = "The following are multiple choice questions (with answers) about " + pretty + ".\n\n";
    if (shots > 0) {
      const fs::path dev = fs::path(data_dir) / "dev" / (subject + "_dev.csv");
      EDGELM_ASSIGN_OR_RETURN(std::vector<MmluQuestion> dev_q, ReadMmluCsv(dev.string()));
      if (static_cast<int>(dev_q.size()) < shots) {
        return InvalidArgumentError("--shots " + std::to_string(shots) + " but '" + dev.string() + "' has only " +
                                    std::to_string(dev_q.size()) + " examples");
      }
      static const char* kAnswers[] = {" A", " B", " C", " D"};
      for (int s = 0; s < shots; ++s) prompt += MmluBlock(dev_q[s]) + kAnswers[dev_q[s].answer] + "\n\n";
    }
    EDGELM_ASSIGN_OR_RETURN(std::vector<MmluQuestion> test_q, ReadMmluCsv(file.string()));
    for (const auto& q : test_q) {
      if (limit != 0 && task.items.size() >= limit) return task;
      ChoiceItem item;
      item.contexts = {prompt + MmluBlock(q)};
      item.continuations = {" A", " B", " C", " D"};
      item.gold = q.answer;
      task.items.push_back(std::move(item));
    }
  }
  return task;
}

Result<TaskData> LoadTask(const std::string& data_dir, const std::string& name, int shots, size_t limit) {
  namespace fs = std::filesystem;
  const fs::path dir(data_dir);
  if (name == "hellaswag") return ParseHellaswag((dir / "hellaswag" / "hellaswag_val_full.txt").string(), limit);
  if (name == "mmlu") return ParseMmlu((dir / "mmlu").string(), shots, limit);
  if (name == "winogrande") return ParseWinograndeJsonl((dir / "tasks" / "winogrande.jsonl").string(), limit);
  if (name == "lambada") return ParseLambadaJsonl((dir / "tasks" / "lambada_openai.jsonl").string(), limit);
  for (const char* n : {"arc_easy", "arc_challenge", "piqa", "openbook_qa", "siqa", "copa", "commonsense_qa", "boolq"}) {
    if (name == n) return ParseChoiceJsonl(name, (dir / "tasks" / (name + ".jsonl")).string(), limit);
  }
  std::string known;
  for (const auto& k : KnownTaskNames()) known += (known.empty() ? "" : ", ") + k;
  return InvalidArgumentError("unknown task '" + name + "' (known: " + known + ")");
}

}  // namespace edgelm
