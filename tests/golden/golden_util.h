// Readers for the reference fixtures (../shared/fixtures/reference) and the comparison
// statistics the README's tolerance table is written in.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "edgelm/engine.h"

namespace edgelm::golden {

inline const std::string kShared = EDGELM_SHARED_DIR;
inline const std::string kRefDir = kShared + "/fixtures/reference";

inline bool HaveReferences() { return std::filesystem::is_directory(kRefDir); }

inline std::vector<int32_t> ReadIds(const std::string& path) {
  std::ifstream in(path);
  std::vector<int32_t> ids;
  int32_t v;
  while (in >> v) ids.push_back(v);
  return ids;
}

// Raw little-endian float32 (this test runs on little-endian hosts only, as the engine).
inline std::vector<float> ReadF32(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<float> out(bytes.size() / sizeof(float));
  if (!out.empty()) std::memcpy(out.data(), bytes.data(), out.size() * sizeof(float));
  return out;
}

// greedy-margins.tsv: "<stem>/<file>\t<min>\t<16 margins>".
inline std::map<std::string, std::vector<float>> ReadMargins() {
  std::map<std::string, std::vector<float>> out;
  std::ifstream in(kRefDir + "/greedy-margins.tsv");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::string file;
    float min_margin;
    ls >> file >> min_margin;
    std::vector<float> m;
    float v;
    while (ls >> v) m.push_back(v);
    out[file] = m;
  }
  return out;
}

inline int Argmax(std::span<const float> v) {
  int best = 0;
  for (size_t i = 1; i < v.size(); ++i) {
    if (v[i] > v[best]) best = static_cast<int>(i);
  }
  return best;
}

// Gap between the largest and second-largest value.
inline float Top2Gap(std::span<const float> v) {
  float a = -INFINITY, b = -INFINITY;
  for (float x : v) {
    if (x > a) {
      b = a;
      a = x;
    } else if (x > b) {
      b = x;
    }
  }
  return a - b;
}

struct Tolerance {
  double max_abs;
  double rms;
  double top1_gap;        // positions whose reference gap exceeds this must agree
  double min_top1_agree;  // fraction of positions (quantized types)
  double near_tie;        // a disagreement is allowed only when the two reference logits are this close
};

// The README's acceptance table.
inline Tolerance ToleranceFor(const std::string& type) {
  if (type == "F32") return {1e-4, 1e-5, 1e-4, 1.0, 1e-4};
  if (type == "F16") return {5e-3, 1e-3, 5e-3, 1.0, 5e-3};
  return {0.1, 0.015, INFINITY, 0.85, 0.1};
}

struct Comparison {
  double max_abs = 0, rms = 0;
  int rows = 0, top1_agree = 0;
  std::string failures;  // disagreements that are not near-ties
};

inline Comparison Compare(const std::vector<float>& got, const std::vector<float>& ref, int n_vocab, const Tolerance& tol) {
  Comparison c;
  c.rows = static_cast<int>(ref.size() / n_vocab);
  double sum_sq = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double d = std::fabs(static_cast<double>(got[i]) - ref[i]);
    c.max_abs = std::max(c.max_abs, d);
    sum_sq += d * d;
  }
  c.rms = std::sqrt(sum_sq / static_cast<double>(ref.size()));
  for (int r = 0; r < c.rows; ++r) {
    std::span<const float> g(got.data() + r * n_vocab, n_vocab), e(ref.data() + r * n_vocab, n_vocab);
    const int ag = Argmax(g), ae = Argmax(e);
    if (ag == ae) {
      ++c.top1_agree;
      continue;
    }
    const double gap = std::fabs(e[ae] - e[ag]);
    if (gap > tol.near_tie || Top2Gap(e) > tol.top1_gap) {
      c.failures += "row " + std::to_string(r) + ": top-1 " + std::to_string(ag) + " vs reference " + std::to_string(ae) +
                    " (reference gap " + std::to_string(gap) + ")\n";
    }
  }
  return c;
}

}  // namespace edgelm::golden
