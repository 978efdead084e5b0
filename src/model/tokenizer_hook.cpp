#include "gguf/gguf_reader.h"
#include "model/model_impl.h"

namespace edgelm {

Result<std::unique_ptr<Tokenizer>> LoadModelTokenizer(const GgufFile& file) { return Tokenizer::FromGguf(file); }

}  // namespace edgelm
