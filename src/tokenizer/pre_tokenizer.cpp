#include "tokenizer/pre_tokenizer.h"

#include <unicode/regex.h>
#include <unicode/unistr.h>

#include "tokenizer/utf8.h"

namespace edgelm::tokenizer_internal {
namespace {

// Regex lists as llama.cpp uses them (llm_tokenizer_bpe). The "(?i:'s|...)" groups of
// the Hugging Face originals are written with explicit ASCII case classes, which is what
// those tokenizers match in practice and avoids Unicode case folding ('ſ' vs 's').
constexpr const char* kGpt2Regex =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
constexpr const char* kLlama3Regex =
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
    "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
constexpr const char* kQwen2Regex =
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
    "\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

}  // namespace

std::vector<std::string> PreTokenizerRegexes(std::string_view name) {
  if (name == "default") {
    return {"[\\p{P}\\$\\+<=>\\^~\\|]+", kGpt2Regex, "\\p{N}+", "[0-9][0-9][0-9]"};
  }
  if (name == "gpt-2") return {kGpt2Regex};
  if (name == "llama-bpe" || name == "llama3" || name == "llama-v3") return {kLlama3Regex};
  if (name == "qwen2") return {kQwen2Regex};
  if (name == "smollm") return {"\\p{N}", kGpt2Regex};
  return {};
}

struct PreTokenizer::Compiled {
  std::unique_ptr<icu::RegexPattern> pattern;
};

PreTokenizer::~PreTokenizer() = default;

Result<std::unique_ptr<PreTokenizer>> PreTokenizer::Create(const std::string& name) {
  std::vector<std::string> regexes = PreTokenizerRegexes(name);
  if (regexes.empty()) {
    return UnsupportedError(
        "unknown pre-tokenizer '" + name +
        "' (tokenizer.ggml.pre); known: default, gpt-2, llama-bpe, qwen2, smollm. The model "
        "needs a pre-tokenizer this build does not implement");
  }
  std::unique_ptr<PreTokenizer> pre(new PreTokenizer());
  pre->name_ = name;
  for (const std::string& re : regexes) {
    UErrorCode status = U_ZERO_ERROR;
    UParseError parse_error;
    auto compiled = std::make_unique<Compiled>();
    compiled->pattern.reset(
        icu::RegexPattern::compile(icu::UnicodeString::fromUTF8(re), 0, parse_error, status));
    if (U_FAILURE(status) || !compiled->pattern) {
      return InternalError("pre-tokenizer '" + name + "': ICU rejected regex '" + re +
                           "': " + u_errorName(status));
    }
    pre->compiled_.push_back(std::move(compiled));
  }
  pre->regexes_ = std::move(regexes);
  return pre;
}

Result<std::vector<std::string_view>> PreTokenizer::Split(std::string_view text) const {
  std::vector<std::string_view> pieces;
  if (text.empty()) return pieces;

  // UTF-16 copy for ICU plus, for every UTF-16 index, the byte offset in `text`. Invalid
  // bytes become one U+FFFD each so that byte offsets stay exact.
  icu::UnicodeString u16;
  std::vector<size_t> byte_at;  // [u16.length() + 1]
  byte_at.reserve(text.size() + 1);
  size_t pos = 0;
  while (pos < text.size()) {
    const Utf8Step step = DecodeUtf8Step(text, pos);
    const size_t length = step.kind == Utf8Step::kValid ? step.length : 1;
    const UChar32 cp = step.kind == Utf8Step::kValid ? static_cast<UChar32>(step.code_point)
                                                     : static_cast<UChar32>(kReplacementChar);
    const int32_t before = u16.length();
    u16.append(cp);
    for (int32_t i = before; i < u16.length(); ++i) byte_at.push_back(pos);
    pos += length;
  }
  byte_at.push_back(text.size());

  // Pieces as UTF-16 [start, end) ranges, refined by each regex in turn.
  std::vector<std::pair<int32_t, int32_t>> ranges = {{0, u16.length()}};
  for (size_t r = 0; r < compiled_.size(); ++r) {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::RegexMatcher> matcher(compiled_[r]->pattern->matcher(u16, status));
    if (U_FAILURE(status)) {
      return InternalError("pre-tokenizer '" + name_ + "': ICU matcher: " + u_errorName(status));
    }
    std::vector<std::pair<int32_t, int32_t>> next;
    next.reserve(ranges.size() * 2);
    for (const auto& [begin, end] : ranges) {
      matcher->region(begin, end, status);
      int32_t cursor = begin;
      while (U_SUCCESS(status) && matcher->find(status)) {
        const int32_t m_start = matcher->start(status);
        const int32_t m_end = matcher->end(status);
        if (U_FAILURE(status) || m_end <= m_start) continue;  // none of our regexes matches empty
        if (m_start > cursor) next.emplace_back(cursor, m_start);
        next.emplace_back(m_start, m_end);
        cursor = m_end;
      }
      if (U_FAILURE(status)) {
        return InternalError("pre-tokenizer '" + name_ + "': ICU match failed: " +
                             u_errorName(status));
      }
      if (cursor < end) next.emplace_back(cursor, end);
    }
    ranges = std::move(next);
  }

  pieces.reserve(ranges.size());
  for (const auto& [begin, end] : ranges) {
    const size_t b = byte_at[begin];
    const size_t e = byte_at[end];
    if (e > b) pieces.push_back(text.substr(b, e - b));
  }
  return pieces;
}

}  // namespace edgelm::tokenizer_internal
