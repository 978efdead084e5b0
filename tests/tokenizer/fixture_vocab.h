// The tokenizer of ../shared/fixtures/reference models, rebuilt from its description in
// that README (so the algorithms are tested even without ../shared): byte-level BPE,
// pre "default", 3 specials, 256 byte tokens, 702 two-character merges, 63 fillers.
#pragma once

#include <cstdio>
#include <string>

#include "tokenizer/byte_unicode.h"
#include "tokenizer/vocab_metadata.h"

namespace edgelm::testing {

inline VocabMetadata FixtureVocab() {
  VocabMetadata v;
  v.model = "gpt2";
  v.pre = "default";
  v.tokens = {"<unk>", "<s>", "</s>"};
  v.token_types = {2, 3, 3};
  for (int b = 0; b < 256; ++b) {
    v.tokens.push_back(tokenizer_internal::ByteToUnicode(static_cast<uint8_t>(b)));
    v.token_types.push_back(1);
  }
  std::vector<std::string> firsts = {"\xC4\xA0"};  // "Ġ"
  for (char c = 'a'; c <= 'z'; ++c) firsts.push_back(std::string(1, c));
  for (const std::string& a : firsts) {
    for (char c = 'a'; c <= 'z'; ++c) {
      v.tokens.push_back(a + c);
      v.token_types.push_back(1);
      v.merges.push_back(a + " " + c);
    }
  }
  for (int i = 0; v.tokens.size() < 1024; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "<fill_%04d>", i);
    v.tokens.push_back(name);
    v.token_types.push_back(1);
  }
  v.unk_id = 0;
  v.bos_id = 1;
  v.eos_id = 2;
  v.add_bos = true;
  v.add_eos = false;
  return v;
}

}  // namespace edgelm::testing
