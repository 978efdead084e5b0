#include "bench/sweep.h"

#include <charconv>
#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "core/cpu_features.h"

namespace edgelm::bench {
namespace {

constexpr size_t kMaxListValues = 4096;

Result<int64_t> ParseInt(std::string_view s, std::string_view flag, std::string_view element) {
  int64_t v = 0;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, v);
  if (s.empty() || ec != std::errc() || ptr != end) {
    return InvalidArgumentError(std::string(flag) + ": '" + std::string(element) +
                                "' is not a number or range (expected N, A-B, A-B+S or A-B*M)");
  }
  return v;
}

std::vector<std::string_view> SplitComma(std::string_view text) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    parts.push_back(text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return parts;
}

}  // namespace

const char* TestKindName(TestKind kind) {
  switch (kind) {
    case TestKind::kPrompt: return "pp";
    case TestKind::kGen: return "tg";
    case TestKind::kPromptGen: return "pg";
    case TestKind::kRequest: return "req";
  }
  return "?";
}

int PriorityToNice(int priority) {
  switch (priority) {
    case -1: return 5;
    case 0: return 0;
    case 1: return -5;
    case 2: return -10;
    case 3: return -20;
  }
  EDGELM_CHECK_MSG(false, "priority out of range: " + std::to_string(priority));
}

Result<std::vector<int64_t>> ParseIntList(std::string_view text, std::string_view flag,
                                          int64_t min_value, int64_t max_value) {
  std::vector<int64_t> out;
  const std::string range_msg = " (allowed " + std::to_string(min_value) + ".." + std::to_string(max_value) + ")";
  if (text.empty()) return InvalidArgumentError(std::string(flag) + ": empty value list");
  for (std::string_view el : SplitComma(text)) {
    if (el.empty()) {
      return InvalidArgumentError(std::string(flag) + ": empty element in '" + std::string(text) +
                                  "' (two commas in a row, or a trailing comma?)");
    }
    // A leading '-' is a negative number, not a range, so search for the dash after it.
    size_t dash = el.find('-', 1);
    if (dash == std::string_view::npos) {
      EDGELM_ASSIGN_OR_RETURN(int64_t v, ParseInt(el, flag, el));
      if (v < min_value || v > max_value) {
        return InvalidArgumentError(std::string(flag) + ": value " + std::to_string(v) + " out of range" + range_msg);
      }
      out.push_back(v);
    } else {
      std::string_view first = el.substr(0, dash), rest = el.substr(dash + 1);
      size_t op_pos = rest.find_first_of("+*");
      std::string_view last = rest.substr(0, op_pos);
      char op = op_pos == std::string_view::npos ? '+' : rest[op_pos];
      int64_t step = 1;
      EDGELM_ASSIGN_OR_RETURN(int64_t a, ParseInt(first, flag, el));
      EDGELM_ASSIGN_OR_RETURN(int64_t b, ParseInt(last, flag, el));
      if (op_pos != std::string_view::npos) {
        EDGELM_ASSIGN_OR_RETURN(step, ParseInt(rest.substr(op_pos + 1), flag, el));
      }
      if (a < min_value || b > max_value) {
        return InvalidArgumentError(std::string(flag) + ": range '" + std::string(el) + "' out of range" + range_msg);
      }
      if (b < a) {
        return InvalidArgumentError(std::string(flag) + ": range '" + std::string(el) +
                                    "' ends before it starts (expected A-B with A <= B)");
      }
      if (op == '+' && step < 1) {
        return InvalidArgumentError(std::string(flag) + ": range '" + std::string(el) + "' has step " +
                                    std::to_string(step) + " (expected a step >= 1)");
      }
      if (op == '*' && (step < 2 || a < 1)) {
        return InvalidArgumentError(std::string(flag) + ": range '" + std::string(el) +
                                    "' must start at 1 or more and multiply by 2 or more");
      }
      for (int64_t v = a; v <= b;) {
        out.push_back(v);
        if (out.size() > kMaxListValues) break;
        // Stop before overflowing: the next value would pass b anyway.
        if (op == '+') {
          if (v > b - step) break;
          v += step;
        } else {
          if (v > b / step) break;
          v *= step;
        }
      }
    }
    if (out.size() > kMaxListValues) {
      return InvalidArgumentError(std::string(flag) + ": '" + std::string(text) + "' expands to more than " +
                                  std::to_string(kMaxListValues) + " values");
    }
  }
  return out;
}

Result<std::vector<std::string>> ParseStringList(std::string_view text, std::string_view flag) {
  std::vector<std::string> out;
  if (text.empty()) return InvalidArgumentError(std::string(flag) + ": empty value list");
  for (std::string_view el : SplitComma(text)) {
    if (el.empty()) {
      return InvalidArgumentError(std::string(flag) + ": empty element in '" + std::string(text) + "'");
    }
    out.emplace_back(el);
  }
  return out;
}

Result<std::pair<uint32_t, uint32_t>> ParsePgPair(std::string_view text) {
  auto parts = SplitComma(text);
  if (parts.size() != 2) {
    return InvalidArgumentError("-pg: expected 'PROMPT,GEN' (e.g. -pg 512,128), found '" + std::string(text) + "'");
  }
  EDGELM_ASSIGN_OR_RETURN(int64_t p, ParseInt(parts[0], "-pg", text));
  EDGELM_ASSIGN_OR_RETURN(int64_t g, ParseInt(parts[1], "-pg", text));
  if (p < 1 || g < 1 || p > (1 << 20) || g > (1 << 20)) {
    return InvalidArgumentError("-pg: both counts must be 1..1048576, found '" + std::string(text) + "'");
  }
  return std::make_pair(static_cast<uint32_t>(p), static_cast<uint32_t>(g));
}

Result<std::vector<int>> CpuMaskToCpus(std::string_view mask) {
  std::string_view hex = mask;
  if (hex.size() >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex.remove_prefix(2);
  if (hex.empty() || hex.size() > 256) {
    return InvalidArgumentError("--cpu-mask: '" + std::string(mask) + "' is not a hex CPU mask (e.g. 0xF for CPUs 0-3)");
  }
  std::vector<int> cpus;
  // The last hex digit holds CPUs 0-3.
  for (size_t i = 0; i < hex.size(); ++i) {
    char c = hex[hex.size() - 1 - i];
    int nibble;
    if (c >= '0' && c <= '9') nibble = c - '0';
    else if (c >= 'a' && c <= 'f') nibble = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') nibble = c - 'A' + 10;
    else return InvalidArgumentError("--cpu-mask: '" + std::string(mask) + "' has a non-hex digit '" + std::string(1, c) + "'");
    for (int bit = 0; bit < 4; ++bit) {
      if (nibble & (1 << bit)) cpus.push_back(static_cast<int>(i) * 4 + bit);
    }
  }
  std::sort(cpus.begin(), cpus.end());
  return cpus;
}

std::string BenchConfig::TestName() const {
  std::string name;
  switch (kind) {
    case TestKind::kPrompt: name = "pp" + std::to_string(n_prompt); break;
    case TestKind::kGen: name = "tg" + std::to_string(n_gen); break;
    case TestKind::kPromptGen: name = "pp" + std::to_string(n_prompt) + "+tg" + std::to_string(n_gen); break;
    case TestKind::kRequest: name = "req" + std::to_string(n_gen); break;
  }
  if (n_depth > 0) name += " @ d" + std::to_string(n_depth);
  return name;
}

std::string BenchConfig::Key() const {
  return "model=" + model_path + ";t=" + std::to_string(n_threads) + ";c=" + std::to_string(n_ctx) +
         ";b=" + std::to_string(n_batch) + ";ctk=" + type_k + ";isa=" + isa + ";mask=" + cpu_mask +
         ";prio=" + std::to_string(priority) + ";test=" + TestKindName(kind) + ";p=" + std::to_string(n_prompt) +
         ";n=" + std::to_string(n_gen) + ";d=" + std::to_string(n_depth) + ";r=" + std::to_string(repetitions) +
         ";w=" + std::to_string(warmups);
}

uint32_t BenchConfig::RequiredCtx() const {
  if (kind == TestKind::kRequest) return 0;
  return n_depth + n_prompt + n_gen;
}

uint32_t BenchConfig::EffectiveCtx() const { return n_ctx != 0 ? n_ctx : RequiredCtx(); }

Result<std::vector<BenchConfig>> ExpandSweep(const SweepSpec& spec) {
  auto need = [](bool ok, const std::string& msg) { return ok ? Status::Ok() : InvalidArgumentError(msg); };
  EDGELM_RETURN_IF_ERROR(need(!spec.models.empty(), "no model given (-m a.gguf[,b.gguf])"));
  EDGELM_RETURN_IF_ERROR(need(!spec.n_threads.empty(), "-t: empty thread list"));
  for (int t : spec.n_threads) EDGELM_RETURN_IF_ERROR(need(t >= 1 && t <= 4096, "-t: thread count " + std::to_string(t) + " out of range 1..4096"));
  for (const auto* list : {&spec.n_depth, &spec.n_ctx, &spec.n_batch}) {
    EDGELM_RETURN_IF_ERROR(need(!list->empty(), "empty -d, -c or -b list"));
  }
  for (uint32_t b : spec.n_batch) EDGELM_RETURN_IF_ERROR(need(b >= 1, "-b: batch size must be >= 1"));
  EDGELM_RETURN_IF_ERROR(need(!spec.type_k.empty() && !spec.isa.empty() && !spec.cpu_mask.empty() && !spec.priority.empty(),
                              "empty -ctk, --isa, --cpu-mask or --prio list"));
  for (const auto& k : spec.type_k) {
    EDGELM_RETURN_IF_ERROR(need(k == "f16" || k == "f32", "-ctk: unknown KV cache type '" + k + "' (expected f16 or f32)"));
  }
  for (const auto& isa : spec.isa) {
    auto parsed = ParseIsa(isa, DetectCpuFeatures());
    if (!parsed.ok()) return parsed.status().WithContext("--isa");
  }
  for (const auto& m : spec.cpu_mask) EDGELM_RETURN_IF_ERROR(CpuMaskToCpus(m).status());
  for (int p : spec.priority) EDGELM_RETURN_IF_ERROR(need(p >= -1 && p <= 3, "--prio: " + std::to_string(p) + " out of range -1..3"));
  EDGELM_RETURN_IF_ERROR(need(spec.repetitions >= 1 && spec.repetitions <= 100000, "-r: repetitions must be 1..100000"));
  EDGELM_RETURN_IF_ERROR(need(spec.warmups >= 0 && spec.warmups <= 1000, "--warmup: must be 0..1000"));
  EDGELM_RETURN_IF_ERROR(need(spec.delay_s >= 0 && spec.delay_s <= 3600, "--delay: must be 0..3600 seconds"));
  if (spec.request) {
    EDGELM_RETURN_IF_ERROR(need(!spec.request_prompt.empty(), "--request: the prompt is empty"));
    EDGELM_RETURN_IF_ERROR(need(spec.request_n_gen >= 1, "--request: must generate at least one token"));
  }

  std::vector<BenchConfig> tests;
  for (uint32_t p : spec.n_prompt) if (p > 0) tests.push_back({.kind = TestKind::kPrompt, .n_prompt = p});
  for (uint32_t g : spec.n_gen) if (g > 0) tests.push_back({.kind = TestKind::kGen, .n_gen = g});
  for (auto [p, g] : spec.pg) tests.push_back({.kind = TestKind::kPromptGen, .n_prompt = p, .n_gen = g});
  if (spec.request) tests.push_back({.kind = TestKind::kRequest, .n_gen = spec.request_n_gen});
  EDGELM_RETURN_IF_ERROR(need(!tests.empty(), "no test selected: -p and -n are all 0, no -pg and no --request"));

  std::vector<BenchConfig> out;
  for (const auto& model : spec.models)
    for (uint32_t c : spec.n_ctx)
      for (uint32_t b : spec.n_batch)
        for (const auto& k : spec.type_k)
          for (const auto& isa : spec.isa)
            for (const auto& mask : spec.cpu_mask)
              for (int prio : spec.priority)
                for (int t : spec.n_threads)
                  for (uint32_t d : spec.n_depth)
                    for (const BenchConfig& test : tests) {
                      BenchConfig cfg = test;
                      cfg.index = static_cast<int>(out.size());
                      cfg.model_path = model;
                      cfg.n_threads = t;
                      cfg.n_ctx = c;
                      cfg.n_batch = b;
                      cfg.type_k = k;
                      cfg.isa = isa;
                      cfg.cpu_mask = mask;
                      cfg.priority = prio;
                      cfg.n_depth = d;
                      cfg.repetitions = spec.repetitions;
                      cfg.warmups = spec.warmups;
                      uint64_t required = uint64_t{d} + cfg.n_prompt + cfg.n_gen;
                      if (required > (1u << 24)) {
                        return InvalidArgumentError("test " + cfg.TestName() + " needs " + std::to_string(required) +
                                                    " context positions (more than 16M)");
                      }
                      if (c != 0 && c < required) {
                        return InvalidArgumentError("-c " + std::to_string(c) + " is smaller than test " + cfg.TestName() +
                                                    " needs (depth + prompt + gen = " + std::to_string(required) +
                                                    "); raise -c or use -c 0 (what each test needs)");
                      }
                      out.push_back(std::move(cfg));
                      if (out.size() > 1000000) return InvalidArgumentError("the sweep has more than 1,000,000 configurations");
                    }

  if (spec.random_order) {
    std::mt19937_64 rng(spec.seed);
    for (size_t i = out.size(); i > 1; --i) {
      size_t j = static_cast<size_t>(rng() % i);
      std::swap(out[i - 1], out[j]);
    }
  }
  return out;
}

nlohmann::json SweepSpecToJson(const SweepSpec& s) {
  nlohmann::json pg = nlohmann::json::array();
  for (auto [p, g] : s.pg) pg.push_back({p, g});
  return {{"models", s.models}, {"n_threads", s.n_threads}, {"n_prompt", s.n_prompt}, {"n_gen", s.n_gen},
          {"pg", pg}, {"n_depth", s.n_depth}, {"n_ctx", s.n_ctx}, {"n_batch", s.n_batch},
          {"type_k", s.type_k}, {"isa", s.isa}, {"cpu_mask", s.cpu_mask}, {"priority", s.priority},
          {"request", s.request}, {"request_prompt", s.request_prompt}, {"request_n_gen", s.request_n_gen},
          {"repetitions", s.repetitions}, {"warmups", s.warmups}, {"delay_s", s.delay_s},
          {"random_order", s.random_order}, {"seed", s.seed}};
}

Result<SweepSpec> SweepSpecFromJson(const nlohmann::json& j) {
  SweepSpec s;
  try {
    j.at("models").get_to(s.models);
    j.at("n_threads").get_to(s.n_threads);
    j.at("n_prompt").get_to(s.n_prompt);
    j.at("n_gen").get_to(s.n_gen);
    s.pg.clear();
    for (const auto& p : j.at("pg")) s.pg.emplace_back(p.at(0).get<uint32_t>(), p.at(1).get<uint32_t>());
    j.at("n_depth").get_to(s.n_depth);
    j.at("n_ctx").get_to(s.n_ctx);
    j.at("n_batch").get_to(s.n_batch);
    j.at("type_k").get_to(s.type_k);
    j.at("isa").get_to(s.isa);
    j.at("cpu_mask").get_to(s.cpu_mask);
    j.at("priority").get_to(s.priority);
    j.at("request").get_to(s.request);
    j.at("request_prompt").get_to(s.request_prompt);
    j.at("request_n_gen").get_to(s.request_n_gen);
    j.at("repetitions").get_to(s.repetitions);
    j.at("warmups").get_to(s.warmups);
    j.at("delay_s").get_to(s.delay_s);
    j.at("random_order").get_to(s.random_order);
    j.at("seed").get_to(s.seed);
  } catch (const nlohmann::json::exception& e) {
    return CorruptError(std::string("stored sweep specification is malformed: ") + e.what() +
                        " (written by a different edgelm version?)");
  }
  return s;
}

}  // namespace edgelm::bench
