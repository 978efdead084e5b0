// Helpers shared by the reference kernel tests: deterministic data and error measures.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "gguf/ggml_types.h"

namespace edgelm::testing {

// Normal(0, sigma) values from a fixed seed, so failures reproduce.
inline std::vector<float> RandomNormal(int64_t n, uint32_t seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

// RMS of (a - b) relative to the RMS of a.
inline double RelativeRmse(const std::vector<float>& a, const std::vector<float>& b) {
  double err = 0.0, ref = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = static_cast<double>(a[i]) - static_cast<double>(b[i]);
    err += d * d;
    ref += static_cast<double>(a[i]) * a[i];
  }
  return ref > 0.0 ? std::sqrt(err / ref) : std::sqrt(err);
}

inline uint64_t RowBytes(GgmlType t, int64_t n) {
  return GgmlRowBytes(t, static_cast<uint64_t>(n)).value();
}

}  // namespace edgelm::testing
