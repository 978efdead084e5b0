#include "analysis/cost.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <toml++/toml.h>

namespace edgelm::analysis {
namespace {

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

Status CheckRange(const char* name, double v, double lo, bool lo_open, double hi) {
  const bool ok = std::isfinite(v) && (lo_open ? v > lo : v >= lo) && v <= hi;
  if (ok) return Status::Ok();
  return InvalidArgumentError(std::string("cost: ") + name + " must be " + (lo_open ? "> " : ">= ") + Num(lo) +
                              (std::isinf(hi) ? "" : " and <= " + Num(hi)) + ", found " + Num(v));
}

Status CheckEdge(const EdgeCostInputs& in, bool check_duty) {
  constexpr double kInf = INFINITY;
  EDGELM_RETURN_IF_ERROR(CheckRange("device_price_usd", in.device_price_usd, 0, false, kInf));
  EDGELM_RETURN_IF_ERROR(CheckRange("lifetime_years", in.lifetime_years, 0, true, kInf));
  if (check_duty) EDGELM_RETURN_IF_ERROR(CheckRange("duty_cycle", in.duty_cycle, 0, true, 1));
  EDGELM_RETURN_IF_ERROR(CheckRange("tokens_per_s", in.tokens_per_s, 0, true, kInf));
  EDGELM_RETURN_IF_ERROR(CheckRange("joules_per_token", in.joules_per_token, 0, false, kInf));
  EDGELM_RETURN_IF_ERROR(CheckRange("electricity_usd_per_kwh", in.electricity_usd_per_kwh, 0, false, kInf));
  if (in.idle_watts) EDGELM_RETURN_IF_ERROR(CheckRange("idle_watts", *in.idle_watts, 0, false, kInf));
  return Status::Ok();
}

double CapexPerDay(const EdgeCostInputs& in) { return in.device_price_usd / (in.lifetime_years * kDaysPerYear); }
double UsdPerJoule(const EdgeCostInputs& in) { return in.electricity_usd_per_kwh / kJoulesPerKwh; }

}  // namespace

Result<EdgeCost> ComputeEdgeCost(const EdgeCostInputs& in) {
  EDGELM_RETURN_IF_ERROR(CheckEdge(in, /*check_duty=*/true));
  EdgeCost c;
  const double generating_s = kSecondsPerDay * in.duty_cycle;
  c.tokens_per_day = in.tokens_per_s * generating_s;
  c.capex_usd_per_day = CapexPerDay(in);
  double joules = in.joules_per_token * c.tokens_per_day;
  if (in.idle_watts) joules += *in.idle_watts * (kSecondsPerDay - generating_s);
  c.energy_usd_per_day = joules * UsdPerJoule(in);
  const double per_token_scale = 1e6 / c.tokens_per_day;
  c.capex_usd_per_million_tokens = c.capex_usd_per_day * per_token_scale;
  c.energy_usd_per_million_tokens = c.energy_usd_per_day * per_token_scale;
  c.usd_per_million_tokens = c.capex_usd_per_million_tokens + c.energy_usd_per_million_tokens;
  return c;
}

Result<double> CloudUsdPerMillionOutputTokens(const CloudPrice& price, double input_tokens_per_output_token) {
  if (!std::isfinite(input_tokens_per_output_token) || input_tokens_per_output_token < 0) {
    return InvalidArgumentError("cost: input tokens per output token must be >= 0, found " +
                                Num(input_tokens_per_output_token));
  }
  return price.output_usd_per_mtok + input_tokens_per_output_token * price.input_usd_per_mtok;
}

Result<BreakEven> BreakEvenTokensPerDay(const EdgeCostInputs& edge, double cloud_usd_per_million_tokens) {
  EDGELM_RETURN_IF_ERROR(CheckEdge(edge, /*check_duty=*/false));
  EDGELM_RETURN_IF_ERROR(CheckRange("cloud $/1M tokens", cloud_usd_per_million_tokens, 0, false, INFINITY));
  BreakEven b;
  b.capacity_tokens_per_day = edge.tokens_per_s * kSecondsPerDay;
  const double usd_per_joule = UsdPerJoule(edge);
  const double idle_w = edge.idle_watts.value_or(0.0);
  // edge(V) = fixed + V x marginal; cloud(V) = V x cloud.
  const double fixed = CapexPerDay(edge) + idle_w * kSecondsPerDay * usd_per_joule;
  const double marginal = (edge.joules_per_token - idle_w / edge.tokens_per_s) * usd_per_joule;
  const double cloud = cloud_usd_per_million_tokens / 1e6;
  if (!(cloud > marginal)) {
    b.reason = "the cloud price (" + Num(cloud_usd_per_million_tokens) + " $/1M tokens) is not above the edge's marginal energy cost (" +
               Num(marginal * 1e6) + " $/1M tokens): the edge never pays back";
    return b;
  }
  b.tokens_per_day = fixed / (cloud - marginal);
  b.within_capacity = *b.tokens_per_day <= b.capacity_tokens_per_day;
  if (!b.within_capacity) {
    b.reason = "break-even needs " + Num(*b.tokens_per_day) + " tokens/day, more than one device generates (" +
               Num(b.capacity_tokens_per_day) + " tokens/day at 100% duty)";
  }
  return b;
}

Result<std::vector<CloudComparison>> CompareWithCloud(const EdgeCostInputs& edge, const std::vector<CloudPrice>& prices,
                                                      double input_tokens_per_output_token) {
  EDGELM_ASSIGN_OR_RETURN(EdgeCost cost, ComputeEdgeCost(edge));
  std::vector<CloudComparison> out;
  for (const CloudPrice& p : prices) {
    CloudComparison c;
    c.price = p;
    EDGELM_ASSIGN_OR_RETURN(c.cloud_usd_per_million_tokens, CloudUsdPerMillionOutputTokens(p, input_tokens_per_output_token));
    c.edge_usd_per_million_tokens = cost.usd_per_million_tokens;
    c.edge_cheaper = c.edge_usd_per_million_tokens < c.cloud_usd_per_million_tokens;
    EDGELM_ASSIGN_OR_RETURN(c.break_even, BreakEvenTokensPerDay(edge, c.cloud_usd_per_million_tokens));
    out.push_back(std::move(c));
  }
  return out;
}

std::string DefaultCloudPriceFile() {
  const char* env = std::getenv("EDGELM_PRICE_FILE");
  if (env != nullptr && env[0] != '\0') return env;
  return std::string(EDGELM_PRICE_DATA_DIR) + "/cloud_api.toml";
}

Result<std::vector<CloudPrice>> LoadCloudPrices(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return NotFoundError("price table '" + path + "' does not exist (set EDGELM_PRICE_FILE or pass a price table path)");
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return IoError("cannot read price table '" + path + "' (permissions?)");
  return ParseCloudPrices(text.str(), "price table '" + path + "'");
}

Result<std::vector<CloudPrice>> ParseCloudPrices(const std::string& text, const std::string& origin) {
  toml::table doc;
  try {
    doc = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    return CorruptError(origin + " line " + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
  }
  const toml::array* rows = doc["price"].as_array();
  if (rows == nullptr || rows->empty()) {
    return CorruptError(origin + " has no [[price]] entries");
  }
  static const char* kKeys[] = {"provider", "model", "input_usd_per_mtok", "output_usd_per_mtok", "date", "source", "note"};
  std::vector<CloudPrice> out;
  for (size_t i = 0; i < rows->size(); ++i) {
    const toml::table* t = (*rows)[i].as_table();
    const std::string where = origin + " entry " + std::to_string(i + 1);
    if (t == nullptr) return CorruptError(where + " is not a table");
    for (const auto& [k, v] : *t) {
      // A misspelt key would otherwise drop a price silently.
      if (std::none_of(std::begin(kKeys), std::end(kKeys), [&](const char* n) { return k.str() == n; })) {
        return CorruptError(where + ": unknown key '" + std::string(k.str()) +
                            "' (expected provider, model, input_usd_per_mtok, output_usd_per_mtok, date, source, note)");
      }
    }
    CloudPrice p;
    auto str = [&](const char* key, std::string* dst) -> Status {
      auto v = (*t)[key].value<std::string>();
      if (!v || v->empty()) return CorruptError(where + ": needs a non-empty string '" + key + "'");
      *dst = *v;
      return Status::Ok();
    };
    auto num = [&](const char* key, double* dst) -> Status {
      auto v = (*t)[key].value<double>();
      if (!v || !std::isfinite(*v) || *v < 0) return CorruptError(where + ": needs a number '" + key + "' >= 0");
      *dst = *v;
      return Status::Ok();
    };
    EDGELM_RETURN_IF_ERROR(str("provider", &p.provider));
    EDGELM_RETURN_IF_ERROR(str("model", &p.model));
    EDGELM_RETURN_IF_ERROR(num("input_usd_per_mtok", &p.input_usd_per_mtok));
    EDGELM_RETURN_IF_ERROR(num("output_usd_per_mtok", &p.output_usd_per_mtok));
    EDGELM_RETURN_IF_ERROR(str("date", &p.date));
    EDGELM_RETURN_IF_ERROR(str("source", &p.source));
    p.note = (*t)["note"].value_or(std::string());
    out.push_back(std::move(p));
  }
  return out;
}

Result<CloudPrice> FindCloudPrice(const std::vector<CloudPrice>& prices, const std::string& model) {
  auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
  };
  std::string known;
  for (const auto& p : prices) {
    if (lower(p.model) == lower(model)) return p;
    known += (known.empty() ? "" : ", ") + p.model;
  }
  return NotFoundError("no cloud price for model '" + model + "' (known: " + known + ")");
}

}  // namespace edgelm::analysis
