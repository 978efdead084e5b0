// Comparing two stored runs configuration by configuration: throughput side by side, the
// ratio, and whether the difference is statistically significant by Welch's t-test on
// the raw per-repetition t/s samples (unequal variances; two-sided, alpha 0.05).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bench/statistics.h"
#include "bench/writers.h"

namespace edgelm::bench {

struct CompareRow {
  std::string test;    // "pp512"
  std::string params;  // "t=4 b=512 ctk=f16 isa=avx2" (and the model when runs hold several)
  std::optional<double> a_ts, b_ts;  // mean t/s
  std::optional<double> ratio;       // b / a
  std::optional<WelchTest> welch;    // absent with fewer than 2 samples on a side
  std::string note;                  // why something is absent
};

struct Comparison {
  std::vector<CompareRow> rows;        // configurations present in both runs
  std::vector<std::string> only_in_a;  // test + params of unmatched configurations
  std::vector<std::string> only_in_b;
};

// Matches configurations on every parameter; the model takes part in the match only when
// a run holds more than one model (so one model file against another compares directly).
Comparison CompareReports(const BenchReport& a, const BenchReport& b);
// Markdown: contexts of both runs, the table, the test used, the unmatched lists.
std::string FormatComparison(const BenchReport& a, const BenchReport& b, const Comparison& c);

}  // namespace edgelm::bench
