// The synth weight generator: a fixed, documented PRNG so a seed means the same bytes on
// every platform and compiler (std::normal_distribution is implementation-defined).
//
// SplitMix64 (Steele, Lea, Flood 2014) expands a 64-bit seed into the 256-bit state of
// xoshiro256** (Blackman, Vigna 2018); normals come from the Box-Muller transform on two
// 53-bit uniforms, using both outputs. Each tensor gets its own stream, seeded with
// SplitMix64(seed ^ SplitMix64(tensor index)), so tensors are independent of how the
// writer chunks rows.
#pragma once

#include <cmath>
#include <cstdint>

namespace edgelm {

inline uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

class Xoshiro256 {
 public:
  explicit Xoshiro256(uint64_t seed) {
    for (auto& w : s_) w = SplitMix64(&seed);
  }
  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // Uniform in (0, 1]: never 0, so log() in Box-Muller is finite.
  double UniformOpen0() { return (static_cast<double>(Next() >> 11) + 1.0) * 0x1.0p-53; }
  // Standard normal (Box-Muller, caching the second value).
  double Normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double r = std::sqrt(-2.0 * std::log(UniformOpen0()));
    const double theta = 2.0 * 3.14159265358979323846 * UniformOpen0();
    spare_ = r * std::sin(theta);
    has_spare_ = true;
    return r * std::cos(theta);
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace edgelm
