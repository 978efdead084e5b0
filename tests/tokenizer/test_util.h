// Helpers shared by the tokenizer tests: ../shared paths and llama.cpp's tokenizer test
// vector format (.inp strings separated by "\n__ggml_vocab_test__\n", .out one line of
// ids per string).
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace edgelm::testing {

inline std::string SharedPath(const std::string& rel) {
  return std::string(EDGELM_SHARED_DIR) + "/" + rel;
}
inline bool SharedExists(const std::string& rel) {
  return std::filesystem::exists(SharedPath(rel));
}

inline std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct VocabCase {
  std::string text;
  std::vector<int32_t> ids;
};

// Empty when the files are missing or their counts disagree (the caller asserts non-empty).
inline std::vector<VocabCase> ReadVocabCases(const std::string& inp_path) {
  const std::string inp = ReadFileOrEmpty(inp_path);
  const std::string out = ReadFileOrEmpty(inp_path.substr(0, inp_path.size() - 4) + ".out");
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<VocabCase> cases;
  size_t pos = 0;
  while (pos < inp.size()) {
    const size_t next = inp.find(sep, pos);
    if (next == std::string::npos) break;
    cases.push_back({inp.substr(pos, next - pos), {}});
    pos = next + sep.size();
  }
  std::istringstream lines(out);
  std::string line;
  size_t i = 0;
  while (std::getline(lines, line)) {
    if (i >= cases.size()) return {};
    std::istringstream ids(line);
    int32_t id;
    while (ids >> id) cases[i].ids.push_back(id);
    ++i;
  }
  if (i != cases.size()) return {};
  return cases;
}

inline std::string IdsToString(const std::vector<int32_t>& ids) {
  std::string s;
  for (int32_t id : ids) {
    s.push_back(' ');
    s.append(std::to_string(id));
  }
  return s;
}

}  // namespace edgelm::testing
