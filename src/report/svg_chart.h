// Inline SVG charts written directly by C++: scatter, line and bar series on linear
// axes, horizontal reference lines (a memory budget) and shaded x ranges (phases).
//
// Goals: a report that is one file, opens offline in any browser, and whose every
// mark can be counted by a test: each point is a <circle data-series="ID">, each bar a
// <rect data-series="ID">, each shaded range a <rect data-band="...">. Every mark has a
// <title> tooltip with its exact values. Non-goals: interaction, zoom, log axes.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace edgelm::report {

struct ChartPoint {
  double x = 0, y = 0;
  std::string label;               // tooltip: what the point is
  std::optional<double> y_err;     // +- error bar (standard deviation)
};

struct ChartSeries {
  std::string id;                  // data-series attribute (a plain identifier)
  std::string name;                // legend
  std::vector<ChartPoint> points;
  bool line = false;               // connect the points in order
  bool bars = false;               // vertical bars from 0 instead of circles
  bool emphasised = false;         // larger, outlined markers (the Pareto front)
  std::string color;               // CSS colour; empty: from the palette
};

struct ChartBand {
  double x0 = 0, x1 = 0;
  std::string kind;                // data-band attribute and colour class: "prefill", "decode"
  std::string label;               // tooltip
};

struct ChartRule {
  double y = 0;
  std::string label;
};

struct ChartSpec {
  std::string id;                  // element id of the <svg>
  std::string title, x_label, y_label;
  std::vector<ChartSeries> series;
  std::vector<ChartBand> bands;
  std::vector<ChartRule> rules;
  // Categorical x axis: point x values are indices into these names.
  std::vector<std::string> x_categories;
  bool x_from_zero = false, y_from_zero = true;
  bool x_integer = false;          // ticks at whole numbers only (thread counts)
  int width = 760, height = 340;
};

// The <svg> element (with a legend). Strings are escaped here.
std::string RenderChart(const ChartSpec& spec);

// "Nice" tick positions covering [lo, hi] (1, 2, 2.5, 5 x 10^k steps), about `target`.
std::vector<double> NiceTicks(double lo, double hi, int target);

}  // namespace edgelm::report
