#include <memory>

#include "edgelm/tokenizer.h"
#include "tokenizer/bpe_tokenizer.h"
#include "tokenizer/spm_tokenizer.h"
#include "tokenizer/vocab_metadata.h"

namespace edgelm {

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromVocabMetadata(const VocabMetadata& vocab) {
  if (vocab.model == "llama") return tokenizer_internal::CreateSpmTokenizer(vocab);
  if (vocab.model == "gpt2") return tokenizer_internal::CreateBpeTokenizer(vocab);
  return UnsupportedError("tokenizer model '" + vocab.model +
                          "' (tokenizer.ggml.model) is not supported; supported: 'llama' "
                          "(SentencePiece BPE) and 'gpt2' (byte-level BPE)");
}

}  // namespace edgelm
