// Conversion of a Hugging Face tokenizer.json (+ tokenizer_config.json) into GGUF
// tokenizer metadata, following what llama.cpp's converter writes for byte-level BPE
// models: tokens by id (gaps become "[PADn]" of type unused), merges as "a b", added
// tokens as control (special, or looking like "<|...|>") or user-defined, and the
// pre-tokenizer name recognised from the Split regex. Non-goals: SentencePiece models
// (their scores live in tokenizer.model, not in tokenizer.json) and WordPiece/Unigram.
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "edgelm/tokenizer.h"
#include "tokenizer/vocab_metadata.h"

namespace edgelm {
namespace {

using nlohmann::json;

// Hostile files must not make us allocate unbounded memory: real vocabularies stay
// far below this (the largest in use have ~260k entries).
constexpr int64_t kMaxVocabSize = 4'000'000;

constexpr const char* kLlama3SplitRegex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
constexpr const char* kQwen2SplitRegex =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

Result<json> ReadJson(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return NotFoundError("cannot open " + std::string(what) + " '" + path + "'");
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return IoError("reading " + std::string(what) + " '" + path + "' failed");
  try {
    return json::parse(buffer.str());
  } catch (const json::exception& e) {
    return CorruptError(std::string(what) + " '" + path + "' is not valid JSON: " + e.what());
  }
}

// Flattens a pre_tokenizer (possibly a Sequence) into its parts.
void CollectPreTokenizers(const json& node, std::vector<const json*>& out) {
  if (!node.is_object()) return;
  if (node.value("type", "") == "Sequence" && node.contains("pretokenizers") &&
      node["pretokenizers"].is_array()) {
    for (const json& child : node["pretokenizers"]) CollectPreTokenizers(child, out);
    return;
  }
  out.push_back(&node);
}

// The llama.cpp pre-tokenizer name for a tokenizer.json pre_tokenizer.
Result<std::string> RecognisePreTokenizer(const json& root, const std::string& path) {
  std::vector<const json*> parts;
  if (root.contains("pre_tokenizer")) CollectPreTokenizers(root["pre_tokenizer"], parts);
  std::string split_regex;
  bool byte_level_regex = false;
  bool digits = false;
  for (const json* p : parts) {
    const std::string type = p->value("type", "");
    if (type == "Split" && p->contains("pattern") && (*p)["pattern"].is_object()) {
      const json& pattern = (*p)["pattern"];
      if (pattern.contains("Regex") && pattern["Regex"].is_string()) {
        split_regex = pattern["Regex"].get<std::string>();
      }
    } else if (type == "ByteLevel") {
      byte_level_regex = p->value("use_regex", true);
    } else if (type == "Digits") {
      digits = p->value("individual_digits", false);
    }
  }
  if (!split_regex.empty()) {
    if (split_regex == kLlama3SplitRegex) return std::string("llama-bpe");
    if (split_regex == kQwen2SplitRegex) return std::string("qwen2");
    return UnsupportedError(path + ": pre-tokenizer Split regex '" + split_regex +
                            "' is not one this build knows (Llama 3 -> llama-bpe, Qwen2 -> "
                            "qwen2)");
  }
  if (byte_level_regex && digits) return std::string("smollm");
  if (byte_level_regex) return std::string("gpt-2");
  return UnsupportedError(path + ": no recognisable pre-tokenizer (expected a Split regex or "
                          "a ByteLevel pre-tokenizer with use_regex)");
}

// llama.cpp's converter marks added tokens that look like control tokens as control even
// when tokenizer.json does not flag them special.
bool LooksSpecial(const std::string& t) {
  const auto wrapped = [&](std::string_view open, std::string_view close) {
    return t.size() >= open.size() + close.size() && t.compare(0, open.size(), open) == 0 &&
           t.compare(t.size() - close.size(), close.size(), close) == 0;
  };
  return t == "<pad>" || t == "<mask>" || t == "<2mass>" || t == "[@BOS@]" ||
         wrapped("<|", "|>") || wrapped("<\xEF\xBD\x9C", "\xEF\xBD\x9C>") ||  // <｜ ... ｜>
         wrapped("<unused", ">");
}

// "bos_token": "<s>" or {"content": "<s>", ...} or null.
std::optional<std::string> TokenTextField(const json& config, const char* key) {
  if (!config.is_object() || !config.contains(key)) return std::nullopt;
  const json& v = config[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string()) {
    return v["content"].get<std::string>();
  }
  return std::nullopt;
}

}  // namespace

Result<VocabMetadata> VocabMetadataFromHuggingFace(const std::string& tokenizer_json_path,
                                                   const std::string& tokenizer_config_path) {
  auto root_or = ReadJson(tokenizer_json_path, "tokenizer.json");
  if (!root_or.ok()) return root_or.status();
  const json& root = *root_or;
  const std::string& path = tokenizer_json_path;
  if (!root.is_object() || !root.contains("model") || !root["model"].is_object()) {
    return CorruptError(path + ": no \"model\" object (not a Hugging Face tokenizer.json?)");
  }
  const json& model = root["model"];
  const std::string model_type = model.value("type", "");
  if (model_type != "BPE") {
    return UnsupportedError(path + ": model type '" + model_type +
                            "' is not supported; only byte-level BPE converts to GGUF here");
  }
  VocabMetadata vocab;
  vocab.model = "gpt2";
  auto pre = RecognisePreTokenizer(root, path);
  if (!pre.ok()) return pre.status();
  vocab.pre = *pre;

  if (!model.contains("vocab") || !model["vocab"].is_object()) {
    return CorruptError(path + ": model.vocab is missing or not an object");
  }
  // id -> (text, type); -1 type marks a gap.
  std::vector<std::string> texts;
  std::vector<int32_t> types;
  const auto place = [&](int64_t id, const std::string& text, int32_t type,
                         bool allow_overwrite) -> Status {
    if (id < 0 || id >= kMaxVocabSize) {
      return CorruptError(path + ": token '" + text + "' has id " + std::to_string(id) +
                          ", expected 0.." + std::to_string(kMaxVocabSize - 1));
    }
    if (static_cast<size_t>(id) >= texts.size()) {
      texts.resize(id + 1);
      types.resize(id + 1, -1);
    }
    if (types[id] != -1 && !allow_overwrite && texts[id] != text) {
      return CorruptError(path + ": id " + std::to_string(id) + " is used by both '" +
                          texts[id] + "' and '" + text + "'");
    }
    texts[id] = text;
    types[id] = type;
    return Status::Ok();
  };
  for (const auto& [text, id] : model["vocab"].items()) {
    if (!id.is_number_integer()) {
      return CorruptError(path + ": model.vocab['" + text + "'] is not an integer id");
    }
    EDGELM_RETURN_IF_ERROR(place(id.get<int64_t>(), text,
                                 static_cast<int32_t>(TokenType::kNormal), false));
  }
  if (root.contains("added_tokens") && root["added_tokens"].is_array()) {
    for (const json& added : root["added_tokens"]) {
      if (!added.is_object() || !added.contains("id") || !added["id"].is_number_integer() ||
          !added.contains("content") || !added["content"].is_string()) {
        return CorruptError(path + ": an added_tokens entry lacks an integer id or a content "
                            "string: " + added.dump().substr(0, 200));
      }
      const std::string content = added["content"].get<std::string>();
      const bool special = added.value("special", false) || LooksSpecial(content);
      EDGELM_RETURN_IF_ERROR(place(
          added["id"].get<int64_t>(), content,
          static_cast<int32_t>(special ? TokenType::kControl : TokenType::kUserDefined), true));
    }
  }
  for (size_t i = 0; i < texts.size(); ++i) {
    if (types[i] == -1) {
      texts[i] = "[PAD" + std::to_string(i) + "]";
      types[i] = static_cast<int32_t>(TokenType::kUnused);
    }
  }
  vocab.tokens = std::move(texts);
  vocab.token_types = std::move(types);

  if (!model.contains("merges") || !model["merges"].is_array()) {
    return CorruptError(path + ": model.merges is missing or not an array");
  }
  vocab.merges.reserve(model["merges"].size());
  for (const json& merge : model["merges"]) {
    if (merge.is_string()) {
      vocab.merges.push_back(merge.get<std::string>());
    } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() &&
               merge[1].is_string()) {
      vocab.merges.push_back(merge[0].get<std::string>() + " " + merge[1].get<std::string>());
    } else {
      return CorruptError(path + ": merges[" + std::to_string(vocab.merges.size()) +
                          "] is neither \"a b\" nor [\"a\", \"b\"]: " + merge.dump().substr(0, 200));
    }
  }

  // Look-up of a special token's id by its text (config files name tokens by text).
  const auto find_id = [&](const std::string& text) -> std::optional<int32_t> {
    for (size_t i = vocab.tokens.size(); i-- > 0;) {
      if (vocab.tokens[i] == text) return static_cast<int32_t>(i);
    }
    return std::nullopt;
  };

  // add_bos and bos from the post-processor: a TemplateProcessing whose single-sequence
  // template starts with a special token prepends it.
  std::optional<std::string> template_bos;
  bool has_template = false;
  if (root.contains("post_processor") && root["post_processor"].is_object()) {
    std::vector<const json*> processors = {&root["post_processor"]};
    if (root["post_processor"].value("type", "") == "Sequence" &&
        root["post_processor"].contains("processors")) {
      processors.clear();
      for (const json& p : root["post_processor"]["processors"]) processors.push_back(&p);
    }
    for (const json* p : processors) {
      if (!p->is_object() || p->value("type", "") != "TemplateProcessing") continue;
      has_template = true;
      if (p->contains("single") && (*p)["single"].is_array() && !(*p)["single"].empty()) {
        const json& first = (*p)["single"][0];
        if (first.is_object() && first.contains("SpecialToken")) {
          template_bos = first["SpecialToken"].value("id", "");
        }
      }
    }
  }

  json config = json::object();
  if (!tokenizer_config_path.empty()) {
    auto config_or = ReadJson(tokenizer_config_path, "tokenizer_config.json");
    if (!config_or.ok()) return config_or.status();
    config = std::move(config_or).value();
    if (!config.is_object()) {
      return CorruptError(tokenizer_config_path + ": expected a JSON object");
    }
  }
  struct SpecialField {
    const char* key;
    std::optional<int32_t>* field;
  };
  const SpecialField fields[] = {{"bos_token", &vocab.bos_id},
                                 {"eos_token", &vocab.eos_id},
                                 {"unk_token", &vocab.unk_id},
                                 {"pad_token", &vocab.pad_id}};
  for (const SpecialField& f : fields) {
    std::optional<std::string> text = TokenTextField(config, f.key);
    if (!text && std::string_view(f.key) == "bos_token") text = template_bos;
    if (!text) continue;
    *f.field = find_id(*text);
    if (!*f.field) {
      return CorruptError(tokenizer_config_path + ": " + f.key + " '" + *text +
                          "' is not in the vocabulary of " + path);
    }
  }
  if (config.contains("add_bos_token") && config["add_bos_token"].is_boolean()) {
    vocab.add_bos = config["add_bos_token"].get<bool>();
  } else if (has_template) {
    vocab.add_bos = template_bos.has_value() && vocab.bos_id.has_value() &&
                    vocab.tokens[*vocab.bos_id] == *template_bos;
  }
  if (config.contains("add_eos_token") && config["add_eos_token"].is_boolean()) {
    vocab.add_eos = config["add_eos_token"].get<bool>();
  }
  if (config.contains("chat_template")) {
    const json& t = config["chat_template"];
    if (t.is_string()) {
      vocab.chat_template = t.get<std::string>();
    } else if (t.is_array()) {
      // Named templates: [{"name": "default", "template": "..."}, ...]
      for (const json& named : t) {
        if (!named.is_object() || !named.contains("template") || !named["template"].is_string()) {
          continue;
        }
        if (vocab.chat_template.empty() || named.value("name", "") == "default") {
          vocab.chat_template = named["template"].get<std::string>();
        }
      }
    }
  }
  return vocab;
}

}  // namespace edgelm
