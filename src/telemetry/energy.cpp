#include "telemetry/energy.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace edgelm::telemetry {
namespace {

std::string Ms(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), ms >= 100 ? "%.0f" : "%.3g", ms);
  return buf;
}

double Lerp(double v0, double v1, int64_t ta, int64_t tb, int64_t t) {
  if (tb == ta) return v1;
  return v0 + (v1 - v0) * (double(t - ta) / double(tb - ta));
}

bool IsCounter(Quantity q) { return q == Quantity::kEnergyCounter || q == Quantity::kEventCounter; }

}  // namespace

IntervalAmount ChannelAmount(const Series& s, size_t ch, const ChannelInfo& info, int64_t t0,
                             int64_t t1, int64_t sampling_interval_ns) {
  IntervalAmount r;
  r.t0_ns = t0;
  r.t1_ns = t1;
  r.method = IsCounter(info.quantity) ? (info.wrap_range > 0 ? "counter difference (wrap-aware)"
                                                              : "counter difference")
                                      : "trapezoid over power samples";
  if (info.quantity == Quantity::kTemperature || info.quantity == Quantity::kFrequency) {
    r.reason = "channel '" + info.name + "' is a " + QuantityName(info.quantity) +
               ", not an energy, power or event count";
    return r;
  }
  if (t1 <= t0) {
    r.reason = "empty interval (end " + std::to_string(t1) + " ns <= start " + std::to_string(t0) + " ns)";
    return r;
  }
  if (ch >= s.n_channels) {
    r.reason = "channel index out of range";
    return r;
  }
  const size_t n = s.size();
  for (size_t k = 0; k < n; ++k) {
    if (s.t_ns[k] >= t0 && s.t_ns[k] <= t1) ++r.n_samples;
  }
  if (n < 2) {
    r.reason = "only " + std::to_string(n) + " sample(s) recorded: the sensor was not read often enough";
    return r;
  }
  if (t0 <= s.dropped_until_ns) {
    r.reason = "samples covering the start were dropped (buffer full after " + std::to_string(s.n_dropped) +
               " overwrites): raise the buffer capacity or the sampling interval";
    return r;
  }
  auto ub = std::upper_bound(s.t_ns.begin(), s.t_ns.end(), t0);
  if (ub == s.t_ns.begin()) {
    r.reason = "no sample at or before the interval start (first sample " +
               Ms(double(s.t_ns.front() - t0) * 1e-6) + " ms after it): start telemetry before the phase";
    return r;
  }
  const size_t a = static_cast<size_t>(ub - s.t_ns.begin()) - 1;
  auto lb = std::lower_bound(s.t_ns.begin(), s.t_ns.end(), t1);
  if (lb == s.t_ns.end()) {
    r.reason = "no sample at or after the interval end (last sample " +
               Ms(double(t1 - s.t_ns.back()) * 1e-6) + " ms before it): stop telemetry after the phase";
    return r;
  }
  const size_t b = static_cast<size_t>(lb - s.t_ns.begin());

  std::vector<int64_t> gaps;
  for (size_t k = a + 1; k <= b; ++k) gaps.push_back(s.t_ns[k] - s.t_ns[k - 1]);
  r.max_gap_ms = double(*std::max_element(gaps.begin(), gaps.end())) * 1e-6;
  std::nth_element(gaps.begin(), gaps.begin() + static_cast<ptrdiff_t>(gaps.size() / 2), gaps.end());
  const int64_t median_gap = gaps[gaps.size() / 2];
  r.sample_interval_ms = double(median_gap) * 1e-6;
  const int64_t interval = std::max(sampling_interval_ns, median_gap);
  const int64_t needed = kMinSamplingIntervalsPerPhase * interval;
  if (t1 - t0 < needed) {
    r.reason = "too short for this sensor (needs >= " + Ms(double(needed) * 1e-6) + " ms: " +
               std::to_string(kMinSamplingIntervalsPerPhase) + " sampling intervals of " +
               Ms(double(interval) * 1e-6) + " ms; this interval is " + Ms(double(t1 - t0) * 1e-6) + " ms)";
    return r;
  }

  if (IsCounter(info.quantity)) {
    // Unwrapped cumulative value relative to sample a; exact for integer counters.
    std::vector<double> cum(b - a + 1, 0.0);
    for (size_t k = a + 1; k <= b; ++k) {
      double delta = s.at(k, ch) - s.at(k - 1, ch);
      if (delta < 0) {
        if (info.wrap_range > 0 && s.at(k - 1, ch) <= info.wrap_range) {
          delta += info.wrap_range;
          ++r.wraps;
        } else {
          r.reason = "counter '" + info.name + "' went backwards (" + std::to_string(s.at(k - 1, ch)) +
                     " -> " + std::to_string(s.at(k, ch)) + " " + info.native_unit +
                     "): reset or driver reload during the interval";
          return r;
        }
      }
      cum[k - a] = cum[k - a - 1] + delta;
    }
    const double c0 = Lerp(cum[0], cum[1], s.t_ns[a], s.t_ns[a + 1], t0);
    const double c1 = Lerp(cum[b - a - 1], cum[b - a], s.t_ns[b - 1], s.t_ns[b], t1);
    r.value = (c1 - c0) * info.to_si;
    return r;
  }

  // Power: trapezoid over (t0, p(t0)), the samples strictly inside, (t1, p(t1)); the
  // end values are interpolated linearly, consistent with the trapezoid rule.
  double area = 0;  // native power unit * ns
  int64_t prev_t = t0;
  double prev_p = Lerp(s.at(a, ch), s.at(a + 1, ch), s.t_ns[a], s.t_ns[a + 1], t0);
  for (size_t k = a + 1; k < b; ++k) {
    if (s.t_ns[k] <= t0) continue;
    area += 0.5 * (prev_p + s.at(k, ch)) * double(s.t_ns[k] - prev_t);
    prev_t = s.t_ns[k];
    prev_p = s.at(k, ch);
  }
  const double p1 = Lerp(s.at(b - 1, ch), s.at(b, ch), s.t_ns[b - 1], s.t_ns[b], t1);
  area += 0.5 * (prev_p + p1) * double(t1 - prev_t);
  r.value = area * 1e-9 * info.to_si;
  return r;
}

IntervalAmount TotalEnergy(const Series& s, const std::vector<ChannelInfo>& channels, int64_t t0,
                           int64_t t1, int64_t sampling_interval_ns) {
  IntervalAmount total;
  total.t0_ns = t0;
  total.t1_ns = t1;
  bool any = false;
  double sum = 0;
  for (size_t c = 0; c < channels.size(); ++c) {
    const ChannelInfo& info = channels[c];
    if (!info.in_total) continue;
    if (info.quantity != Quantity::kEnergyCounter && info.quantity != Quantity::kPower) continue;
    IntervalAmount a = ChannelAmount(s, c, info, t0, t1, sampling_interval_ns);
    if (!any) {
      total.method = a.method;
      total.n_samples = a.n_samples;
      total.sample_interval_ms = a.sample_interval_ms;
    } else if (total.method != a.method) {
      total.method = "mixed: counter difference and trapezoid";
    }
    any = true;
    total.max_gap_ms = std::max(total.max_gap_ms, a.max_gap_ms);
    total.wraps += a.wraps;
    if (!a.value) {
      total.reason = a.reason;
      if (channels.size() > 1) total.reason = "channel " + info.name + ": " + a.reason;
      return total;
    }
    sum += *a.value;
  }
  if (!any) {
    total.reason = "no energy or power channel counts towards this source's total";
    return total;
  }
  total.value = sum;
  return total;
}

LevelStats ChannelLevels(const Series& s, size_t ch, const ChannelInfo& info, int64_t t0, int64_t t1) {
  LevelStats st;
  if (ch >= s.n_channels || s.size() == 0) return st;
  double sum = 0;
  for (size_t k = 0; k < s.size(); ++k) {
    if (s.t_ns[k] < t0 || s.t_ns[k] > t1) continue;
    const double v = s.at(k, ch) * info.to_si;
    st.min = st.min ? std::min(*st.min, v) : v;
    st.max = st.max ? std::max(*st.max, v) : v;
    sum += v;
    ++st.n_samples;
  }
  if (st.n_samples > 0) {
    st.mean = sum / double(st.n_samples);
    return st;
  }
  auto ub = std::upper_bound(s.t_ns.begin(), s.t_ns.end(), t0);
  if (ub == s.t_ns.begin()) return st;
  const double v = s.at(static_cast<size_t>(ub - s.t_ns.begin()) - 1, ch) * info.to_si;
  st.min = st.mean = st.max = v;
  return st;
}

PhaseEnergy ComputePhaseEnergy(const IntervalAmount& gross, std::optional<double> baseline_watts,
                               int64_t tokens) {
  PhaseEnergy p;
  p.gross = gross;
  p.baseline_watts = baseline_watts;
  p.tokens = tokens;
  if (!gross.value) return p;
  const double duration_s = gross.duration_s();
  const double joules = *gross.value;
  if (duration_s > 0) p.avg_watts = joules / duration_s;
  if (baseline_watts) p.net_joules = joules - *baseline_watts * duration_s;
  if (tokens > 0) {
    p.joules_per_token = joules / double(tokens);
    if (p.net_joules) p.net_joules_per_token = *p.net_joules / double(tokens);
    if (joules > 0) p.tokens_per_joule = double(tokens) / joules;
  }
  return p;
}

}  // namespace edgelm::telemetry
