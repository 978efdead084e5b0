// StreamDetokenizer: text out of a token stream, always valid UTF-8.
//
// Byte-level and byte-fallback vocabularies split multi-byte characters across tokens
// (an emoji can be four <0xNN> tokens). Complete characters are released as soon as their
// last byte arrives; an incomplete tail is held back; bytes that can never form a
// character become U+FFFD (one per maximal invalid subpart, as the Unicode standard
// recommends) so that what was emitted is never retracted.
#include "edgelm/tokenizer.h"
#include "tokenizer/utf8.h"

namespace edgelm {
namespace {

using tokenizer_internal::AppendUtf8;
using tokenizer_internal::DecodeUtf8Step;
using tokenizer_internal::kReplacementChar;
using tokenizer_internal::Utf8Step;

// Moves the valid prefix of `pending` to `out`, replacing invalid bytes; keeps an
// incomplete trailing character in `pending` unless `final`.
void Drain(std::string& pending, bool final, std::string& out) {
  size_t pos = 0;
  while (pos < pending.size()) {
    const Utf8Step step = DecodeUtf8Step(pending, pos);
    if (step.kind == Utf8Step::kValid) {
      out.append(pending, pos, step.length);
    } else if (step.kind == Utf8Step::kInvalid || final) {
      AppendUtf8(kReplacementChar, out);
    } else {
      break;  // incomplete: wait for the next token
    }
    pos += step.length;
  }
  pending.erase(0, pos);
}

bool IsSpecial(TokenType t) {
  return t == TokenType::kControl || t == TokenType::kUserDefined || t == TokenType::kUnknown;
}

}  // namespace

std::string StreamDetokenizer::Push(int32_t id) {
  std::string piece = tokenizer_.TokenToPiece(id, render_special_);
  if (IsSpecial(tokenizer_.token_type(id))) {
    at_text_start_ = true;
  } else {
    // The same rule as Tokenizer::Decode: drop the space the encoder put in front.
    if (at_text_start_ && tokenizer_.adds_space_prefix() && !piece.empty() && piece[0] == ' ') {
      piece.erase(0, 1);
    }
    at_text_start_ = false;
  }
  pending_ += piece;
  std::string out;
  Drain(pending_, /*final=*/false, out);
  return out;
}

std::string StreamDetokenizer::Flush() {
  std::string out;
  Drain(pending_, /*final=*/true, out);
  return out;
}

}  // namespace edgelm
