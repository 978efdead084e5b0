// Sweeps: every benchmark parameter takes a list, and the configurations to run are the
// Cartesian product of the lists (as llama-bench does), expanded here in a fixed,
// documented order, optionally shuffled with a recorded seed.
//
// Value syntax of every numeric list flag (comma-separated elements, each one of):
//   N            one value                        -p 512
//   A-B          A, A+1, ..., B                   -t 1-4      -> 1,2,3,4
//   A-B+S        A, A+S, A+2S, ... <= B           -t 1-8+2    -> 1,3,5,7
//   A-B*M        A, A*M, A*M^2, ... <= B (A > 0)  -p 64-512*2 -> 64,128,256,512
// mixed freely: "-t 1,2,4-8+4" -> 1,2,4,8. Elements keep their order; duplicates are
// kept (a repeated value is a deliberate repeat). A list expands to at most 4096 values.
// String lists (-m, -ctk, --isa, --cpu-mask) are plain comma lists.
//
// Expansion order, outermost first: model, n_ctx, n_batch, type_k, isa, cpu_mask,
// priority, n_threads, n_depth, then the tests: one pp per -p value, one tg per -n value,
// one pg per -pg pair, then the request test. A value 0 in -p or -n adds no test (as in
// llama-bench). Models outermost means a model is loaded once for all its configurations.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/status.h"

namespace edgelm::bench {

enum class TestKind { kPrompt, kGen, kPromptGen, kRequest };
const char* TestKindName(TestKind kind);  // "pp", "tg", "pg", "req"

// Priorities as llama-bench --prio: -1 low, 0 normal, 1 medium, 2 high, 3 realtime;
// applied as nice values 5, 0, -5, -10, -20 (raising needs CAP_SYS_NICE).
int PriorityToNice(int priority);

struct SweepSpec {
  std::vector<std::string> models;
  std::vector<int> n_threads;
  std::vector<uint32_t> n_prompt = {512};
  std::vector<uint32_t> n_gen = {128};
  std::vector<std::pair<uint32_t, uint32_t>> pg;  // (n_prompt, n_gen) pairs
  std::vector<uint32_t> n_depth = {0};
  std::vector<uint32_t> n_ctx = {0};  // 0: exactly what the test needs (depth + prompt + gen)
  std::vector<uint32_t> n_batch = {512};
  std::vector<std::string> type_k = {"f16"};
  std::vector<std::string> isa = {"auto"};
  std::vector<std::string> cpu_mask = {"0x0"};  // hex CPU mask; 0x0 = no pinning
  std::vector<int> priority = {0};
  // The request test: a prompt text in, n_gen tokens out (TTFT, ITL, e2e).
  bool request = false;
  std::string request_prompt;       // the text (from --prompt-file or the built-in prompt)
  uint32_t request_n_gen = 128;
  int repetitions = 5;
  int warmups = 1;
  double delay_s = 0;  // cooldown before each configuration
  bool random_order = false;
  uint64_t seed = 0;
};

nlohmann::json SweepSpecToJson(const SweepSpec& spec);
Result<SweepSpec> SweepSpecFromJson(const nlohmann::json& j);

// One configuration: everything needed to run one test, and its identity for --resume.
struct BenchConfig {
  int index = 0;  // position in the canonical (unshuffled) expansion
  std::string model_path;
  int n_threads = 1;
  uint32_t n_ctx = 0;  // as requested (0: what the test needs)
  uint32_t n_batch = 512;
  std::string type_k = "f16";
  std::string isa = "auto";
  std::string cpu_mask = "0x0";
  int priority = 0;
  uint32_t n_depth = 0;
  TestKind kind = TestKind::kPrompt;
  uint32_t n_prompt = 0;  // request test: 0 here, the tokenized prompt length is measured
  uint32_t n_gen = 0;
  int repetitions = 5;
  int warmups = 1;

  // "pp512", "tg128", "pp512+tg128", "req128"; " @ d512" appended for depth > 0.
  std::string TestName() const;
  // Stable identity of the configuration (all parameters, not the index): what --resume
  // compares to skip configurations already complete.
  std::string Key() const;
  // Context length the test needs: depth + prompt + gen (request: 0, the engine default).
  uint32_t RequiredCtx() const;
  // The n_ctx to open the session with: n_ctx when set, else RequiredCtx().
  uint32_t EffectiveCtx() const;
};

// Expands the spec (validated first) into configurations, shuffled when
// spec.random_order (Fisher-Yates driven by mt19937_64(seed), identical on every
// platform). Errors: empty lists, no tests, an explicit n_ctx smaller than a test needs.
Result<std::vector<BenchConfig>> ExpandSweep(const SweepSpec& spec);

// Value parsers for the CLI; `flag` names the flag in error messages.
Result<std::vector<int64_t>> ParseIntList(std::string_view text, std::string_view flag,
                                          int64_t min_value, int64_t max_value);
Result<std::vector<std::string>> ParseStringList(std::string_view text, std::string_view flag);
// -pg "512,128" -> (512, 128).
Result<std::pair<uint32_t, uint32_t>> ParsePgPair(std::string_view text);
// CPU indices set in a hex mask ("0x3" or "3" -> {0, 1}); a mask of 0 means no pinning.
Result<std::vector<int>> CpuMaskToCpus(std::string_view mask);

}  // namespace edgelm::bench
