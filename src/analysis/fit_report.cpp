// FitReport as JSON (for the study and report) and as text (for `edgelm fit`).
#include <cstdio>
#include <string>

#include "analysis/fit.h"

namespace edgelm::analysis {
namespace {

using Json = nlohmann::ordered_json;

// Local so that the analysis library does not link the engine for one name.
const char* KvName(KvCacheType t) { return t == KvCacheType::kF32 ? "f32" : "f16"; }

template <typename T>
Json Opt(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}

Json MemoryJson(const MemoryBreakdown& m) {
  return Json{{"weights_bytes", m.weights_bytes},
              {"kv_bytes", m.kv_bytes},
              {"scratch_bytes", m.scratch_bytes},
              {"overhead_bytes", m.overhead_bytes},
              {"total_bytes", m.total_bytes()}};
}

std::string Mib(double bytes) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.1f MiB", bytes / (1024.0 * 1024.0));
  return buf;
}

std::string Fmt(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, v);
  return buf;
}

std::string FigureText(const Figure& f, const std::string& value) {
  return value + " (" + ProvenanceName(f.provenance) + ": " + f.source + (f.date.empty() ? "" : ", " + f.date) + ")";
}

}  // namespace

Json FigureJson(const Figure& f) {
  Json j{{"value", f.value}, {"provenance", ProvenanceName(f.provenance)}, {"source", f.source}};
  if (!f.date.empty()) j["date"] = f.date;
  return j;
}

Json DeviceSpecJson(const DeviceSpec& d) {
  auto fig = [](const std::optional<Figure>& f) { return f ? FigureJson(*f) : Json(nullptr); };
  Json j;
  j["id"] = d.id();
  j["name"] = d.profile.name;
  j["total_memory_bytes"] = fig(d.total_memory_bytes);
  j["usable_memory_bytes"] = fig(d.usable_memory_bytes);
  j["memory_bandwidth_bytes_per_s"] = fig(d.memory_bandwidth_bytes_per_s);
  j["price_usd"] = fig(d.price_usd);
  j["compute_flops_per_s"] = fig(d.compute_flops_per_s);
  Json power{{"provenance", ProvenanceName(d.power_provenance)},
             {"basis", d.profile.power_basis},
             {"idle_watts", d.profile.power.idle_watts},
             {"peak_watts", d.profile.power.max_watts}};
  if (!d.profile.modes.empty()) {
    power["default_mode"] = d.profile.default_mode;
    Json modes = Json::object();
    for (const auto& [name, m] : d.profile.modes) modes[name] = Json{{"idle_watts", m.idle_watts}, {"peak_watts", m.max_watts}};
    power["modes"] = modes;
  }
  j["power"] = power;
  j["notes"] = d.notes;
  return j;
}

Json FitReportJson(const FitReport& r) {
  Json j;
  j["model"] = r.model;
  j["model_source"] = r.model_source;
  j["device"] = r.device_id;
  j["device_name"] = r.device_name;
  j["n_ctx"] = r.n_ctx;
  j["kv_type"] = KvName(r.kv_type);
  j["weight_type"] = r.weight_type;
  j["weights_from_file"] = r.weights_from_file;
  j["memory"] = MemoryJson(r.memory);
  j["power"] = Json{{"mode", r.power_mode.empty() ? Json(nullptr) : Json(r.power_mode)},
                    {"idle_watts", FigureJson(r.power.idle_watts)},
                    {"peak_watts", FigureJson(r.power.peak_watts)}};
  j["usable_memory_bytes"] = r.usable_memory_bytes ? FigureJson(*r.usable_memory_bytes) : Json(nullptr);
  j["fits"] = Opt(r.fits);
  j["headroom_bytes"] = Opt(r.headroom_bytes);
  j["max_ctx"] = Opt(r.max_ctx);
  j["max_ctx_capped_by_training"] = r.max_ctx_capped_by_training;
  Json pred;
  pred["kind"] = "prediction (roofline upper bound from peak figures), not a measurement";
  pred["memory_bandwidth_bytes_per_s"] =
      r.memory_bandwidth_bytes_per_s ? FigureJson(*r.memory_bandwidth_bytes_per_s) : Json(nullptr);
  pred["decode_bytes_per_token_start"] = r.decode_bytes_per_token_start;
  pred["decode_bytes_per_token_full"] = r.decode_bytes_per_token_full;
  pred["decode_tokens_per_s_start"] = Opt(r.predicted_decode_tokens_per_s_start);
  pred["decode_tokens_per_s_full"] = Opt(r.predicted_decode_tokens_per_s_full);
  pred["compute_flops_per_s"] = r.compute_flops_per_s ? FigureJson(*r.compute_flops_per_s) : Json(nullptr);
  pred["prefill_flops_per_token"] = r.prefill_flops_per_token;
  pred["prefill_tokens_per_s"] = Opt(r.predicted_prefill_tokens_per_s);
  j["prediction"] = pred;
  Json types = Json::array();
  for (const TypeFit& t : r.types) {
    types.push_back(Json{{"type", t.type},
                         {"weights_bytes", t.weights.weights_bytes},
                         {"bits_per_weight", t.weights.bits_per_weight},
                         {"memory", MemoryJson(t.memory)},
                         {"fits", Opt(t.fits)},
                         {"max_ctx", Opt(t.max_ctx)},
                         {"predicted_decode_tokens_per_s", Opt(t.predicted_decode_tokens_per_s)}});
  }
  j["types"] = types;
  j["notes"] = r.notes;
  return j;
}

std::string FitReportText(const FitReport& r) {
  std::string s;
  s += "model:    " + r.model + " (" + r.model_source + ")\n";
  s += "device:   " + r.device_id + " — " + r.device_name + "\n";
  s += "context:  " + std::to_string(r.n_ctx) + " tokens, KV cache " + KvName(r.kv_type) + "\n";
  char watts[96];
  std::snprintf(watts, sizeof(watts), "power:    %.1f W idle, %.1f W peak (%s)%s\n", r.power.idle_watts.value,
                r.power.peak_watts.value, ProvenanceName(r.power.peak_watts.provenance),
                r.power_mode.empty() ? "" : (" in mode " + r.power_mode).c_str());
  s += watts;
  s += "weights:  " + r.weight_type + (r.weights_from_file ? " (file)" : " (estimate)") + "\n\n";
  s += "memory            " + Mib(static_cast<double>(r.memory.weights_bytes)) + " weights\n";
  s += "                + " + Mib(static_cast<double>(r.memory.kv_bytes)) + " KV cache\n";
  s += "                + " + Mib(static_cast<double>(r.memory.scratch_bytes)) + " scratch\n";
  s += "                + " + Mib(static_cast<double>(r.memory.overhead_bytes)) + " runtime overhead (assumed)\n";
  s += "                = " + Mib(static_cast<double>(r.memory.total_bytes())) + "\n";
  if (r.usable_memory_bytes) {
    s += "usable memory     " + FigureText(*r.usable_memory_bytes, Mib(r.usable_memory_bytes->value)) + "\n";
    s += std::string("fits              ") + (*r.fits ? "yes" : "NO") + ", headroom " +
         Mib(static_cast<double>(*r.headroom_bytes)) + "\n";
    s += "largest context   " + std::to_string(*r.max_ctx) + " tokens" +
         (r.max_ctx_capped_by_training ? " (the model's training context)" : "") + "\n";
  } else {
    s += "usable memory     unknown: no verdict\n";
  }
  s += "\nprediction (roofline upper bound, not a measurement)\n";
  if (r.memory_bandwidth_bytes_per_s) {
    s += "  bandwidth       " + FigureText(*r.memory_bandwidth_bytes_per_s,
                                           Fmt("%.1f GB/s", r.memory_bandwidth_bytes_per_s->value / 1e9)) + "\n";
    s += "  decode          " + Fmt("%.1f", *r.predicted_decode_tokens_per_s_start) + " tokens/s at position 0, " +
         Fmt("%.1f", *r.predicted_decode_tokens_per_s_full) + " at " + std::to_string(r.n_ctx) + "\n";
  } else {
    s += "  decode          no bandwidth figure\n";
  }
  if (r.compute_flops_per_s) {
    s += "  prefill         " + Fmt("%.1f", *r.predicted_prefill_tokens_per_s) + " tokens/s (" +
         FigureText(*r.compute_flops_per_s, Fmt("%.1f GFLOP/s", r.compute_flops_per_s->value / 1e9)) + ")\n";
  } else {
    s += "  prefill         no compute figure\n";
  }
  s += "\nweight types at " + std::to_string(r.n_ctx) + " tokens (estimates from the shape)\n";
  s += "  type     bits/w   weights      total        fits  max ctx   decode tok/s\n";
  for (const TypeFit& t : r.types) {
    char line[200];
    std::snprintf(line, sizeof(line), "  %-7s %6.2f  %11s  %11s  %-4s  %-8s  %s\n", t.type.c_str(),
                  t.weights.bits_per_weight, Mib(static_cast<double>(t.weights.weights_bytes)).c_str(),
                  Mib(static_cast<double>(t.memory.total_bytes())).c_str(),
                  t.fits ? (*t.fits ? "yes" : "no") : "?",
                  t.max_ctx ? std::to_string(*t.max_ctx).c_str() : "?",
                  t.predicted_decode_tokens_per_s ? Fmt("%.1f", *t.predicted_decode_tokens_per_s).c_str() : "-");
    s += line;
  }
  if (!r.notes.empty()) {
    s += "\nnotes\n";
    for (const auto& n : r.notes) s += "  - " + n + "\n";
  }
  return s;
}

}  // namespace edgelm::analysis
