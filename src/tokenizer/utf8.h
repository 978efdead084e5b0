// UTF-8 helpers shared by the tokenizers and the stream detokenizer.
//
// Tokenizers must never fail on arbitrary bytes: invalid sequences are walked one byte at
// a time (as llama.cpp and SentencePiece do) so that byte fallback can still encode them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace edgelm::tokenizer_internal {

inline constexpr uint32_t kReplacementChar = 0xFFFD;

// Length of the sequence a lead byte announces, 1 for continuation or invalid bytes
// (lenient: used to split text into symbols, never reads past the end).
inline size_t Utf8LengthFromLead(uint8_t lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;
}

// Appends the UTF-8 encoding of a code point (<= 0x10FFFF).
void AppendUtf8(uint32_t code_point, std::string& out);

// Result of looking at the bytes starting at some position.
struct Utf8Step {
  enum Kind { kValid, kInvalid, kIncomplete } kind;
  uint32_t code_point;  // kValid only
  size_t length;        // bytes consumed: the character, the maximal invalid subpart (>= 1),
                        // or the incomplete-but-so-far-valid tail
};

// Strict decoding of one character at `pos` (rejects overlong forms, surrogates and
// values above U+10FFFF). kIncomplete only when the text ends inside a character whose
// bytes so far are valid.
Utf8Step DecodeUtf8Step(std::string_view text, size_t pos);

// True when `text` is entirely valid UTF-8.
bool IsValidUtf8(std::string_view text);

}  // namespace edgelm::tokenizer_internal
