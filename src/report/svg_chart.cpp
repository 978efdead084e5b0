#include "report/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "report/html.h"

namespace edgelm::report {
namespace {

// Colour-blind-safe palette (Okabe-Ito), so series stay distinguishable in print.
const char* const kPalette[] = {"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"};

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

struct Range {
  double lo = 0, hi = 1;
};

Range Extend(Range r, bool from_zero) {
  if (from_zero) {
    r.lo = std::min(r.lo, 0.0);
    r.hi = std::max(r.hi, 0.0);
  }
  if (r.hi - r.lo <= 0) {
    // One value: a window around it so the point sits in the middle.
    const double pad = r.hi == 0 ? 1 : std::fabs(r.hi) * 0.1;
    r.lo -= pad;
    r.hi += pad;
    if (from_zero && r.lo < 0 && r.hi > 0 && r.hi - pad >= 0) r.lo = 0;
  } else if (!from_zero) {
    const double pad = (r.hi - r.lo) * 0.05;
    r.lo -= pad;
    r.hi += pad;
  } else {
    r.hi += (r.hi - r.lo) * 0.05;
  }
  return r;
}

}  // namespace

std::vector<double> NiceTicks(double lo, double hi, int target) {
  std::vector<double> ticks;
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi) || target < 1) return ticks;
  const double raw = (hi - lo) / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  }
  const double first = std::ceil(lo / step - 1e-9) * step;
  for (double t = first; t <= hi + step * 1e-9 && ticks.size() < 100; t += step) {
    ticks.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
  }
  return ticks;
}

std::string RenderChart(const ChartSpec& spec) {
  const bool categorical = !spec.x_categories.empty();
  Range xr{1e300, -1e300}, yr{1e300, -1e300};
  bool any = false;
  for (const auto& s : spec.series) {
    for (const auto& p : s.points) {
      if (!std::isfinite(p.x) || !std::isfinite(p.y)) continue;
      any = true;
      xr.lo = std::min(xr.lo, p.x);
      xr.hi = std::max(xr.hi, p.x);
      const double e = p.y_err.value_or(0);
      yr.lo = std::min(yr.lo, p.y - e);
      yr.hi = std::max(yr.hi, p.y + e);
    }
  }
  for (const auto& b : spec.bands) {
    any = true;
    xr.lo = std::min(xr.lo, b.x0);
    xr.hi = std::max(xr.hi, b.x1);
  }
  for (const auto& r : spec.rules) {
    yr.lo = std::min(yr.lo, r.y);
    yr.hi = std::max(yr.hi, r.y);
  }
  if (!any) {
    xr = {0, 1};
    yr = {0, 1};
  }
  if (yr.lo > yr.hi) yr = {0, 1};
  if (categorical) {
    xr = {-0.5, static_cast<double>(spec.x_categories.size()) - 0.5};
  } else {
    xr = Extend(xr, spec.x_from_zero);
  }
  yr = Extend(yr, spec.y_from_zero);

  // Plot area; the bottom margin grows with rotated category names.
  const double left = 70, right = 20, top = spec.series.size() > 1 ? 52.0 : 34.0;
  const double bottom = categorical ? 130 : 48;
  const double w = spec.width - left - right, h = spec.height - top - bottom;
  auto X = [&](double x) { return left + (x - xr.lo) / (xr.hi - xr.lo) * w; };
  auto Y = [&](double y) { return top + h - (y - yr.lo) / (yr.hi - yr.lo) * h; };

  std::string o;
  o += "<svg id=\"" + HtmlEscape(spec.id) + "\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
       std::to_string(spec.width) + "\" height=\"" + std::to_string(spec.height) + "\" viewBox=\"0 0 " +
       std::to_string(spec.width) + " " + std::to_string(spec.height) + "\" role=\"img\" aria-label=\"" +
       HtmlEscape(spec.title) + "\">\n";
  o += "<text class=\"ctitle\" x=\"" + Num(left) + "\" y=\"20\">" + HtmlEscape(spec.title) + "</text>\n";
  // Shaded ranges first, so marks lie on top.
  for (const auto& b : spec.bands) {
    const double x0 = std::clamp(X(b.x0), left, left + w), x1 = std::clamp(X(b.x1), left, left + w);
    o += "<rect class=\"band band-" + HtmlEscape(b.kind) + "\" data-band=\"" + HtmlEscape(b.kind) + "\" x=\"" + Num(x0) +
         "\" y=\"" + Num(top) + "\" width=\"" + Num(std::max(x1 - x0, 0.5)) + "\" height=\"" + Num(h) + "\"><title>" +
         HtmlEscape(b.label) + "</title></rect>\n";
  }
  // Axes and grid.
  o += "<g class=\"axis\">";
  for (double t : NiceTicks(yr.lo, yr.hi, 6)) {
    o += "<line class=\"grid\" x1=\"" + Num(left) + "\" x2=\"" + Num(left + w) + "\" y1=\"" + Num(Y(t)) + "\" y2=\"" +
         Num(Y(t)) + "\"/><text x=\"" + Num(left - 6) + "\" y=\"" + Num(Y(t) + 4) + "\" text-anchor=\"end\">" +
         FormatNumber(t) + "</text>";
  }
  if (categorical) {
    for (size_t i = 0; i < spec.x_categories.size(); ++i) {
      const double x = X(static_cast<double>(i));
      // Rotated names longer than the margin are cut (the tooltips and tables have them
      // whole), at a UTF-8 boundary.
      std::string name = spec.x_categories[i];
      if (name.size() > 26) {
        size_t cut = 25;
        while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;
        name = name.substr(0, cut) + "…";
      }
      o += "<text x=\"" + Num(x) + "\" y=\"" + Num(top + h + 12) + "\" text-anchor=\"end\" transform=\"rotate(-35 " +
           Num(x) + " " + Num(top + h + 12) + ")\"><title>" + HtmlEscape(spec.x_categories[i]) + "</title>" +
           HtmlEscape(name) + "</text>";
    }
  } else {
    for (double t : NiceTicks(xr.lo, xr.hi, 8)) {
      if (spec.x_integer && t != std::floor(t)) continue;
      o += "<line class=\"tick\" x1=\"" + Num(X(t)) + "\" x2=\"" + Num(X(t)) + "\" y1=\"" + Num(top + h) + "\" y2=\"" +
           Num(top + h + 5) + "\"/><text x=\"" + Num(X(t)) + "\" y=\"" + Num(top + h + 18) +
           "\" text-anchor=\"middle\">" + FormatNumber(t) + "</text>";
    }
  }
  o += "<line class=\"frame\" x1=\"" + Num(left) + "\" x2=\"" + Num(left) + "\" y1=\"" + Num(top) + "\" y2=\"" +
       Num(top + h) + "\"/><line class=\"frame\" x1=\"" + Num(left) + "\" x2=\"" + Num(left + w) + "\" y1=\"" +
       Num(top + h) + "\" y2=\"" + Num(top + h) + "\"/>";
  o += "<text class=\"alabel\" x=\"" + Num(left + w / 2) + "\" y=\"" + Num(spec.height - 6) +
       "\" text-anchor=\"middle\">" + HtmlEscape(spec.x_label) + "</text>";
  o += "<text class=\"alabel\" x=\"14\" y=\"" + Num(top + h / 2) + "\" text-anchor=\"middle\" transform=\"rotate(-90 14 " +
       Num(top + h / 2) + ")\">" + HtmlEscape(spec.y_label) + "</text></g>\n";
  for (const auto& r : spec.rules) {
    o += "<g class=\"rule\" data-rule=\"1\"><line x1=\"" + Num(left) + "\" x2=\"" + Num(left + w) + "\" y1=\"" +
         Num(Y(r.y)) + "\" y2=\"" + Num(Y(r.y)) + "\"/><text x=\"" + Num(left + w - 4) + "\" y=\"" + Num(Y(r.y) - 5) +
         "\" text-anchor=\"end\">" + HtmlEscape(r.label) + "</text></g>\n";
  }
  // Series: bars are spread side by side within a category.
  int n_bar_series = 0;
  for (const auto& s : spec.series) n_bar_series += s.bars;
  int bar_index = 0;
  for (size_t si = 0; si < spec.series.size(); ++si) {
    const auto& s = spec.series[si];
    const std::string color = s.color.empty() ? kPalette[si % 8] : s.color;
    const std::string sid = HtmlEscape(s.id);
    o += "<g class=\"series\" data-series-group=\"" + sid + "\">";
    if (s.line && s.points.size() > 1) {
      o += "<polyline fill=\"none\" stroke=\"" + color + "\" stroke-width=\"" + (s.emphasised ? "2.5" : "1.5") +
           "\" points=\"";
      for (const auto& p : s.points) {
        if (std::isfinite(p.x) && std::isfinite(p.y)) o += Num(X(p.x)) + "," + Num(Y(p.y)) + " ";
      }
      o += "\"/>";
    }
    for (const auto& p : s.points) {
      if (!std::isfinite(p.x) || !std::isfinite(p.y)) continue;
      const std::string tip = "<title>" + HtmlEscape(s.name) + (p.label.empty() ? "" : ": " + HtmlEscape(p.label)) +
                              " (" + FormatNumber(p.x) + ", " + FormatNumber(p.y) +
                              (p.y_err ? " ± " + FormatNumber(*p.y_err) : "") + ")</title>";
      double cx = X(p.x);
      if (s.bars) {
        const double slot = categorical ? w / spec.x_categories.size() * 0.8 : 12.0;
        const double bw = slot / std::max(n_bar_series, 1);
        const double x0 = cx - slot / 2 + bw * bar_index;
        const double y0 = Y(std::max(0.0, yr.lo)), y1 = Y(p.y);
        o += "<rect data-series=\"" + sid + "\" x=\"" + Num(x0) + "\" y=\"" + Num(std::min(y0, y1)) + "\" width=\"" +
             Num(std::max(bw - 1, 1.0)) + "\" height=\"" + Num(std::fabs(y0 - y1)) + "\" fill=\"" + color + "\">" +
             tip + "</rect>";
        cx = x0 + bw / 2;
      } else {
        o += "<circle data-series=\"" + sid + "\" cx=\"" + Num(cx) + "\" cy=\"" + Num(Y(p.y)) + "\" r=\"" +
             (s.emphasised ? "6" : "4") + "\" fill=\"" + (s.emphasised ? "none" : color) + "\" stroke=\"" + color +
             "\" stroke-width=\"" + (s.emphasised ? "2.5" : "1") + "\">" + tip + "</circle>";
      }
      if (p.y_err && *p.y_err > 0) {
        o += "<line class=\"err\" x1=\"" + Num(cx) + "\" x2=\"" + Num(cx) + "\" y1=\"" + Num(Y(p.y - *p.y_err)) +
             "\" y2=\"" + Num(Y(p.y + *p.y_err)) + "\" stroke=\"#333\"/>";
      }
    }
    if (s.bars) ++bar_index;
    o += "</g>\n";
  }
  // Legend: one row between the title and the plot (never over the marks), wrapping
  // to the right edge; names longer than fit are cut in the legend (the tooltips and
  // tables have them whole).
  if (spec.series.size() > 1) {
    const double row_y = 30;
    const double slot = std::max(110.0, (spec.width - left - right) / static_cast<double>(spec.series.size()));
    const size_t max_chars = static_cast<size_t>((slot - 20) / 6);
    for (size_t si = 0; si < spec.series.size(); ++si) {
      const auto& s = spec.series[si];
      const std::string color = s.color.empty() ? kPalette[si % 8] : s.color;
      const double lx = left + slot * static_cast<double>(si);
      if (lx + 40 > spec.width) break;
      std::string name = s.name;
      if (name.size() > max_chars) {
        size_t cut = max_chars;
        while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 boundary
        name = name.substr(0, cut) + "…";
      }
      o += "<g class=\"legend\"><rect x=\"" + Num(lx) + "\" y=\"" + Num(row_y) + "\" width=\"10\" height=\"10\" fill=\"" +
           color + "\"/><text x=\"" + Num(lx + 14) + "\" y=\"" + Num(row_y + 9) + "\">" + HtmlEscape(name) + "</text></g>";
    }
  }
  o += "</svg>\n";
  return o;
}

}  // namespace edgelm::report
