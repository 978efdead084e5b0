#include "model/model_impl.h"

namespace edgelm {

// Transitional: the tokenizer layer is not in this tree yet; models load for token-id use.
Result<std::unique_ptr<Tokenizer>> LoadModelTokenizer(const GgufFile&) { return std::unique_ptr<Tokenizer>(); }

}  // namespace edgelm
