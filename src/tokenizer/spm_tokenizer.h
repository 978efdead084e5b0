// SentencePiece-style BPE (tokenizer.ggml.model = "llama"), as llama.cpp's SPM tokenizer
// does it: spaces become U+2581 "▁", a space is put in front of text at the start and
// after special tokens (add_space_prefix), adjacent symbols are merged highest score
// first, and what no token covers falls back to <0xNN> byte tokens.
#pragma once

#include <memory>

#include "core/status.h"
#include "edgelm/tokenizer.h"
#include "tokenizer/vocab_metadata.h"

namespace edgelm::tokenizer_internal {

Result<std::unique_ptr<Tokenizer>> CreateSpmTokenizer(const VocabMetadata& vocab);

}  // namespace edgelm::tokenizer_internal
