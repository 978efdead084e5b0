// Byte-level BPE (tokenizer.ggml.model = "gpt2"), as llama.cpp's BPE tokenizer does it:
// a pre-tokenizer regex list splits the text into words, each word's bytes are written
// with the GPT-2 byte->unicode mapping, and adjacent symbols are merged lowest merge rank
// first. With "llama-bpe" (ignore_merges) a word that is itself a token is taken whole.
#pragma once

#include <memory>

#include "core/status.h"
#include "edgelm/tokenizer.h"
#include "tokenizer/vocab_metadata.h"

namespace edgelm::tokenizer_internal {

Result<std::unique_ptr<Tokenizer>> CreateBpeTokenizer(const VocabMetadata& vocab);

}  // namespace edgelm::tokenizer_internal
