// Prompt suite loading and the side-by-side Markdown of `edgelm samples`.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "eval/samples.h"

namespace edgelm {
namespace {

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

Result<SamplePrompt> ParsePromptFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return NotFoundError("cannot open prompt file '" + path.string() + "'");
  SamplePrompt p;
  p.id = path.stem().string();
  std::string line;
  size_t line_no = 0;
  bool in_body = false;
  std::string body;
  while (std::getline(in, line)) {
    ++line_no;
    if (in_body) {
      body += line + "\n";
      continue;
    }
    if (Trim(line) == "---") {
      in_body = true;
      continue;
    }
    if (Trim(line).empty()) continue;
    const size_t colon = line.find(':');
    const std::string where = "'" + path.string() + "' line " + std::to_string(line_no);
    if (colon == std::string::npos) return CorruptError(where + ": expected 'key: value' or '---', found '" + line + "'");
    const std::string key = Trim(line.substr(0, colon)), value = Trim(line.substr(colon + 1));
    if (key == "category") {
      p.category = value;
    } else if (key == "system") {
      p.system = value;
    } else if (key == "max_tokens") {
      try {
        size_t used = 0;
        p.max_tokens = std::stoi(value, &used);
        if (used != value.size() || p.max_tokens < 1 || p.max_tokens > 8192) throw std::out_of_range("max_tokens");
      } catch (...) {
        return CorruptError(where + ": max_tokens must be an integer in 1..8192, found '" + value + "'");
      }
    } else {
      return CorruptError(where + ": unknown key '" + key + "' (known: category, max_tokens, system)");
    }
  }
  if (!in_body) return CorruptError("'" + path.string() + "' has no '---' line before the prompt text");
  while (!body.empty() && (body.back() == '\n' || body.back() == ' ')) body.pop_back();
  if (body.empty()) return CorruptError("'" + path.string() + "' has an empty prompt");
  p.user = body;
  if (p.category.empty()) p.category = "uncategorised";
  return p;
}

std::string MarkdownEscapeCell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

}  // namespace

Result<std::vector<SamplePrompt>> LoadPromptSuite(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return NotFoundError("prompt directory '" + dir + "' not found");
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().extension() == ".txt") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) return NotFoundError("no *.txt prompt files in '" + dir + "'");
  std::vector<SamplePrompt> prompts;
  for (const auto& f : files) {
    EDGELM_ASSIGN_OR_RETURN(SamplePrompt p, ParsePromptFile(f));
    prompts.push_back(std::move(p));
  }
  return prompts;
}

std::string SamplesMarkdown(const std::vector<SamplePrompt>& prompts, const std::vector<SampleAnswer>& answers) {
  std::ostringstream md;
  md << "# Side-by-side samples\n\n";
  md << "Each prompt was answered by every model with the same seed and its chat template "
        "(\"plain\" when the model has none). Speeds are from this run on this machine.\n";
  for (const auto& p : prompts) {
    md << "\n## " << p.id << " (" << p.category << ")\n\n";
    if (!p.system.empty()) md << "*System:* " << p.system << "\n\n";
    md << "> " << [&] {
      std::string q = p.user;
      for (size_t pos = q.find('\n'); pos != std::string::npos; pos = q.find('\n', pos + 3)) q.replace(pos, 1, "\n> ");
      return q;
    }() << "\n";
    md << "\n| model | format | tokens | stop | TTFT ms | decode t/s |\n| --- | --- | --- | --- | --- | --- |\n";
    for (const auto& a : answers) {
      if (a.prompt_id != p.id) continue;
      char speed[32];
      if (a.decode_tokens_per_s >= 0) {
        std::snprintf(speed, sizeof(speed), "%.1f", a.decode_tokens_per_s);
      } else {
        std::snprintf(speed, sizeof(speed), "n/a (<2 tokens)");
      }
      char ttft[32];
      std::snprintf(ttft, sizeof(ttft), "%.1f", a.ttft_ms);
      md << "| " << MarkdownEscapeCell(a.model) << " | " << a.prompt_format << " | " << a.n_generated << " | "
         << a.stop_reason << " | " << ttft << " | " << speed << " |\n";
    }
    for (const auto& a : answers) {
      if (a.prompt_id != p.id) continue;
      md << "\n**" << a.model << "**\n\n```text\n" << a.text << "\n```\n";
    }
  }
  return md.str();
}

}  // namespace edgelm
