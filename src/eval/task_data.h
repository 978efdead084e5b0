// Evaluation data sets as plain items, parsed from the files in ../shared/data (formats
// in ../shared/README.md). Parsing knows nothing about models; scoring is mc_eval.h.
//
// One representation covers every task: each choice i is the text pair
// (context_i, continuation_i); most tasks share one context (contexts.size() == 1) and
// differ in the continuation, Winogrande differs in the context and shares the
// continuation (partial evaluation: only the shared suffix is scored).
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace edgelm {

struct ChoiceItem {
  std::vector<std::string> contexts;       // 1 shared, or one per choice
  std::vector<std::string> continuations;  // one per choice, or 1 shared
  int gold = 0;
  size_t n_choices() const { return std::max(contexts.size(), continuations.size()); }
  const std::string& context(size_t i) const { return contexts.size() == 1 ? contexts[0] : contexts[i]; }
  const std::string& continuation(size_t i) const {
    return continuations.size() == 1 ? continuations[0] : continuations[i];
  }
};

struct LambadaItem {
  std::string context;
  std::string continuation;  // the last word
};

struct TaskData {
  std::string name;             // "hellaswag", "arc_easy", "mmlu", "lambada"...
  std::vector<ChoiceItem> items;     // multiple-choice tasks
  std::vector<LambadaItem> lambada;  // LAMBADA only
};

// The task names `edgelm eval --task` accepts.
const std::vector<std::string>& KnownTaskNames();

// HellaSwag in llama.cpp's 6-line format: context, gold index, 4 endings.
Result<TaskData> ParseHellaswag(const std::string& path, size_t limit);
// {query, choices, gold} JSONL (ARC, PIQA, OpenBookQA, SIQA, COPA, CommonsenseQA, BoolQ).
Result<TaskData> ParseChoiceJsonl(const std::string& name, const std::string& path, size_t limit);
// {context_options, continuation, gold} JSONL.
Result<TaskData> ParseWinograndeJsonl(const std::string& path, size_t limit);
// {context, continuation} JSONL.
Result<TaskData> ParseLambadaJsonl(const std::string& path, size_t limit);
// MMLU: every <subject>_test.csv under data_dir/test, with k shots per subject from
// data_dir/dev/<subject>_dev.csv, in lm-evaluation-harness's prompt format.
Result<TaskData> ParseMmlu(const std::string& data_dir, int shots, size_t limit);

// Splits a CSV record (RFC 4180 quoting, fields may contain newlines) from `text` at
// `pos`; advances pos past the record. Errors name the line.
Result<std::vector<std::string>> ReadCsvRecord(const std::string& text, size_t& pos, size_t& line);

// Loads task `name` from the shared data directory layout (../shared/data).
Result<TaskData> LoadTask(const std::string& data_dir, const std::string& name, int shots, size_t limit);

}  // namespace edgelm
