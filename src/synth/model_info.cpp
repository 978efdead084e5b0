#include "synth/model_info.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/checked_math.h"

namespace edgelm {
namespace {

// llama.cpp's enum llama_ftype (include/llama.h); gaps are ids llama.cpp removed.
struct FileTypeName {
  uint32_t id;
  const char* name;
};
constexpr FileTypeName kFileTypes[] = {
    {0, "F32"},      {1, "F16"},      {2, "Q4_0"},    {3, "Q4_1"},    {4, "Q4_1_SOME_F16"},
    {7, "Q8_0"},     {8, "Q5_0"},     {9, "Q5_1"},    {10, "Q2_K"},   {11, "Q3_K_S"},
    {12, "Q3_K_M"},  {13, "Q3_K_L"},  {14, "Q4_K_S"}, {15, "Q4_K_M"}, {16, "Q5_K_S"},
    {17, "Q5_K_M"},  {18, "Q6_K"},    {19, "IQ2_XXS"}, {20, "IQ2_XS"}, {21, "Q2_K_S"},
    {22, "IQ3_XS"},  {23, "IQ3_XXS"}, {24, "IQ1_S"},  {25, "IQ4_NL"}, {26, "IQ3_S"},
    {27, "IQ3_M"},   {28, "IQ2_S"},   {29, "IQ2_M"},  {30, "IQ4_XS"}, {31, "IQ1_M"},
    {32, "BF16"},    {36, "TQ1_0"},   {37, "TQ2_0"},  {38, "MXFP4_MOE"},
};

// Shortest decimal that reads back as the same float: 1e-05 rather than 9.99999975e-06.
std::string ShortFloat(double v, bool is_f32) {
  char buf[40];
  for (int prec = 6; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof(buf), "%.*g", prec, v);
    const double back = std::strtod(buf, nullptr);
    if (is_f32 ? static_cast<float>(back) == static_cast<float>(v) : back == v) break;
  }
  return buf;
}

nlohmann::ordered_json FloatJson(double v, bool is_f32) {
  if (!std::isfinite(v)) return nullptr;
  return std::strtod(ShortFloat(v, is_f32).c_str(), nullptr);
}

std::optional<int64_t> KvInt(const GgufKeyValue& kv) {
  switch (kv.type) {
    case GgufValueType::kU8: return std::get<uint8_t>(kv.scalar);
    case GgufValueType::kI8: return std::get<int8_t>(kv.scalar);
    case GgufValueType::kU16: return std::get<uint16_t>(kv.scalar);
    case GgufValueType::kI16: return std::get<int16_t>(kv.scalar);
    case GgufValueType::kU32: return std::get<uint32_t>(kv.scalar);
    case GgufValueType::kI32: return std::get<int32_t>(kv.scalar);
    case GgufValueType::kI64: return std::get<int64_t>(kv.scalar);
    case GgufValueType::kU64: {
      const uint64_t u = std::get<uint64_t>(kv.scalar);
      if (u > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
      return static_cast<int64_t>(u);
    }
    default: return std::nullopt;
  }
}

nlohmann::ordered_json ValueJson(const GgufFile& f, const GgufKeyValue& kv) {
  // Arrays up to this length appear in full (per-layer head counts); longer ones as text.
  constexpr uint64_t kMaxJsonArray = 256;
  if (kv.type == GgufValueType::kArray) {
    const GgufArray& a = kv.array;
    if (a.count > kMaxJsonArray) return f.ValueToString(kv);
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (uint64_t i = 0; i < a.count; ++i) {
      switch (a.element_type) {
        case GgufValueType::kString: arr.push_back(std::string(a.strings[i])); break;
        case GgufValueType::kF32: arr.push_back(FloatJson(a.FloatAt(i), true)); break;
        case GgufValueType::kF64: arr.push_back(FloatJson(a.FloatAt(i), false)); break;
        case GgufValueType::kBool: arr.push_back(a.IntAt(i) != 0); break;
        case GgufValueType::kU64: arr.push_back(static_cast<uint64_t>(a.IntAt(i))); break;
        default: arr.push_back(a.IntAt(i)); break;
      }
    }
    return arr;
  }
  switch (kv.type) {
    case GgufValueType::kString: return std::string(std::get<std::string_view>(kv.scalar));
    case GgufValueType::kBool: return std::get<bool>(kv.scalar);
    case GgufValueType::kF32: return FloatJson(std::get<float>(kv.scalar), true);
    case GgufValueType::kF64: return FloatJson(std::get<double>(kv.scalar), false);
    case GgufValueType::kU64: return std::get<uint64_t>(kv.scalar);
    default: return *KvInt(kv);
  }
}

std::string ValueText(const GgufFile& f, const GgufKeyValue& kv) {
  if (kv.type == GgufValueType::kF32) return ShortFloat(std::get<float>(kv.scalar), true);
  if (kv.type == GgufValueType::kF64) return ShortFloat(std::get<double>(kv.scalar), false);
  return f.ValueToString(kv);
}

// Reads an integer key for the KV-cache formula; a wrong type becomes a note, not an error.
std::optional<uint64_t> PositiveInt(const GgufFile& f, const std::string& key, std::vector<std::string>* notes) {
  const GgufKeyValue* kv = f.FindKeyOrNull(key);
  if (kv == nullptr) return std::nullopt;
  const auto v = KvInt(*kv);
  if (!v || *v <= 0 || *v > UINT32_MAX) {
    notes->push_back("key '" + key + "' = " + f.ValueToString(*kv, 4) +
                     " is not a positive 32-bit integer: KV-cache size not computed");
    return std::nullopt;
  }
  return static_cast<uint64_t>(*v);
}

std::optional<KvCacheSize> ComputeKvCache(const GgufFile& f, const std::string& arch,
                                          std::vector<std::string>* notes) {
  const std::string a = arch + ".";
  const auto n_layer = PositiveInt(f, a + "block_count", notes);
  const auto n_head = PositiveInt(f, a + "attention.head_count", notes);
  const auto n_embd = PositiveInt(f, a + "embedding_length", notes);
  if (!n_layer || !n_head || !n_embd) return std::nullopt;
  const auto n_head_kv = f.FindKeyOrNull(a + "attention.head_count_kv")
                             ? PositiveInt(f, a + "attention.head_count_kv", notes) : n_head;
  if (!n_head_kv) return std::nullopt;
  std::optional<uint64_t> hk = PositiveInt(f, a + "attention.key_length", notes);
  std::optional<uint64_t> hv = PositiveInt(f, a + "attention.value_length", notes);
  if (!hk || !hv) {
    if (*n_embd % *n_head != 0) {
      notes->push_back(a + "embedding_length " + std::to_string(*n_embd) + " is not a multiple of " + a +
                       "attention.head_count " + std::to_string(*n_head) + ": KV-cache size not computed");
      return std::nullopt;
    }
    if (!hk) hk = *n_embd / *n_head;
    if (!hv) hv = *n_embd / *n_head;
  }
  KvCacheSize kv;
  kv.n_layer = static_cast<uint32_t>(*n_layer);
  kv.n_head_kv = static_cast<uint32_t>(*n_head_kv);
  kv.head_dim_k = static_cast<uint32_t>(*hk);
  kv.head_dim_v = static_cast<uint32_t>(*hv);
  auto per_token_elems = CheckedMul(*n_layer, *n_head_kv);
  if (per_token_elems) per_token_elems = CheckedMul(*per_token_elems, *hk + *hv);
  const auto f16 = per_token_elems ? CheckedMul(*per_token_elems, 1024 * 2) : std::nullopt;
  if (!f16 || !CheckedMul(*f16, 2)) {
    notes->push_back("KV-cache size overflows 64 bits (corrupt hyperparameters?)");
    return std::nullopt;
  }
  kv.f16_bytes_per_1024_tokens = *f16;
  kv.f32_bytes_per_1024_tokens = *f16 * 2;
  return kv;
}

std::string Commas(uint64_t v) {
  const std::string digits = std::to_string(v);
  std::string s;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) s += ',';
    s += digits[i];
  }
  return s;
}

std::string Bytes(uint64_t v) {
  char buf[64];
  if (v >= (1ull << 30)) std::snprintf(buf, sizeof(buf), " (%.2f GiB)", static_cast<double>(v) / (1ull << 30));
  else if (v >= (1ull << 20)) std::snprintf(buf, sizeof(buf), " (%.2f MiB)", static_cast<double>(v) / (1ull << 20));
  else if (v >= (1ull << 10)) std::snprintf(buf, sizeof(buf), " (%.2f KiB)", static_cast<double>(v) / (1ull << 10));
  else buf[0] = '\0';
  return Commas(v) + " bytes" + buf;
}

std::string Quoted(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') { out += '\\'; out += static_cast<char>(c); }
    else if (c == '\n') out += "\\n";
    else if (c < 0x20 || c == 0x7f) { char b[8]; std::snprintf(b, sizeof(b), "\\x%02x", c); out += b; }
    else out += static_cast<char>(c);
  }
  return out + "\"";
}

}  // namespace

std::optional<std::string> LlamaFileTypeName(uint32_t id) {
  for (const auto& t : kFileTypes) {
    if (t.id == id) return std::string(t.name);
  }
  return std::nullopt;
}

GgufSummary DescribeModel(const GgufFile& f) {
  GgufSummary m;
  m.path = f.name();
  m.file_size_bytes = f.file_size();
  m.gguf_version = f.version();
  m.alignment = f.alignment();
  m.key_count = f.metadata().size();
  auto note_type = [&](const GgufKeyValue* kv, const char* expected) {
    m.notes.push_back("key '" + kv->key + "' has type " + GgufValueTypeName(kv->type) + ", expected " + expected);
  };
  auto str = [&](const char* key) -> std::optional<std::string> {
    const GgufKeyValue* kv = f.FindKeyOrNull(key);
    if (kv == nullptr) return std::nullopt;
    if (kv->type != GgufValueType::kString) {
      note_type(kv, "string");
      return std::nullopt;
    }
    return std::string(std::get<std::string_view>(kv->scalar));
  };
  m.architecture = str("general.architecture");
  m.name = str("general.name");
  if (const GgufKeyValue* kv = f.FindKeyOrNull("general.file_type")) {
    const auto id = KvInt(*kv);
    if (id && *id >= 0 && *id <= UINT32_MAX) {
      m.file_type_id = static_cast<uint32_t>(*id);
      m.file_type_name = LlamaFileTypeName(*m.file_type_id);
    } else {
      note_type(kv, "an unsigned integer");
    }
  }

  for (const auto& t : f.tensors()) {
    m.parameters += t.n_elements;
    m.tensor_bytes += t.n_bytes;
    TensorTypeStats& s = m.tensor_types[GgmlTypeName(t.type)];
    s.tensors += 1;
    s.parameters += t.n_elements;
    s.bytes += t.n_bytes;
    TensorRow row;
    row.name = t.name;
    row.type = GgmlTypeName(t.type);
    row.shape.assign(t.ne, t.ne + t.n_dims);
    row.parameters = t.n_elements;
    row.bytes = t.n_bytes;
    row.offset = f.data_offset() + t.offset;
    m.tensors.push_back(std::move(row));
  }
  if (m.parameters > 0) m.bits_per_weight = static_cast<double>(m.tensor_bytes) * 8.0 / static_cast<double>(m.parameters);

  if (m.architecture) {
    const std::string prefix = *m.architecture + ".";
    for (const auto& kv : f.metadata()) {
      if (kv.key.rfind(prefix, 0) != 0) continue;
      m.hyperparameters.emplace_back(kv.key, ValueJson(f, kv));
      m.hyperparameter_text.push_back(ValueText(f, kv));
    }
    m.kv_cache = ComputeKvCache(f, *m.architecture, &m.notes);
  }

  m.tokenizer_model = str("tokenizer.ggml.model");
  m.tokenizer_pre = str("tokenizer.ggml.pre");
  const GgufArray* tokens = nullptr;
  if (const GgufKeyValue* kv = f.FindKeyOrNull("tokenizer.ggml.tokens")) {
    if (kv->type == GgufValueType::kArray && kv->array.element_type == GgufValueType::kString) {
      tokens = &kv->array;
      m.vocab_size = tokens->count;
    } else {
      note_type(kv, "array of string");
    }
  }
  if (const GgufKeyValue* kv = f.FindKeyOrNull("tokenizer.ggml.merges")) {
    if (kv->type == GgufValueType::kArray) m.merges = kv->array.count;
  }
  const std::string tok_prefix = "tokenizer.ggml.", id_suffix = "_token_id";
  for (const auto& kv : f.metadata()) {
    if (kv.key.size() <= tok_prefix.size() + id_suffix.size() || kv.key.rfind(tok_prefix, 0) != 0 ||
        kv.key.compare(kv.key.size() - id_suffix.size(), id_suffix.size(), id_suffix) != 0) {
      continue;
    }
    const auto id = KvInt(kv);
    if (!id) {
      note_type(&kv, "an integer");
      continue;
    }
    SpecialToken st;
    st.role = kv.key.substr(tok_prefix.size(), kv.key.size() - tok_prefix.size() - id_suffix.size());
    st.id = *id;
    if (tokens != nullptr && *id >= 0 && static_cast<uint64_t>(*id) < tokens->count) {
      st.text = std::string(tokens->strings[static_cast<uint64_t>(*id)]);
    }
    m.special_tokens.push_back(std::move(st));
  }
  auto boolean = [&](const char* key) -> std::optional<bool> {
    const GgufKeyValue* kv = f.FindKeyOrNull(key);
    if (kv == nullptr) return std::nullopt;
    if (kv->type != GgufValueType::kBool) {
      note_type(kv, "bool");
      return std::nullopt;
    }
    return std::get<bool>(kv->scalar);
  };
  m.add_bos = boolean("tokenizer.ggml.add_bos_token");
  m.add_eos = boolean("tokenizer.ggml.add_eos_token");
  if (const auto tmpl = str("tokenizer.chat_template")) {
    m.has_chat_template = true;
    m.chat_template_bytes = tmpl->size();
  }
  return m;
}

std::string ModelInfoText(const GgufSummary& m, bool with_tensors) {
  std::string s;
  auto line = [&s](const std::string& label, const std::string& value) {
    std::string l = label + ":";
    if (l.size() < 18) l.resize(18, ' ');
    else l += ' ';
    s += l + value + "\n";
  };
  line("file", m.path + ", " + Bytes(m.file_size_bytes));
  line("format", "GGUF v" + std::to_string(m.gguf_version) + ", alignment " + std::to_string(m.alignment) + ", " +
                     std::to_string(m.tensors.size()) + " tensors, " + std::to_string(m.key_count) + " keys");
  line("architecture", m.architecture.value_or("(not set)"));
  line("name", m.name.value_or("(not set)"));
  line("file type", !m.file_type_id ? std::string("(general.file_type not set)")
                    : m.file_type_name.value_or("unknown") + " (" + std::to_string(*m.file_type_id) + ")");
  char buf[96];
  std::snprintf(buf, sizeof(buf), " (%.3f M)", static_cast<double>(m.parameters) / 1e6);
  line("parameters", Commas(m.parameters) + buf);
  std::string bpw;
  if (m.bits_per_weight) {
    std::snprintf(buf, sizeof(buf), ", %.3f bits per weight", *m.bits_per_weight);
    bpw = buf;
  }
  line("tensor data", Bytes(m.tensor_bytes) + bpw);
  for (const auto& [type, st] : m.tensor_types) {
    std::snprintf(buf, sizeof(buf), "%-6s %4llu tensors, ", type.c_str(), static_cast<unsigned long long>(st.tensors));
    line("  type", buf + Commas(st.parameters) + " parameters, " + Bytes(st.bytes));
  }
  if (!m.hyperparameters.empty()) s += "hyperparameters:\n";
  for (size_t i = 0; i < m.hyperparameters.size(); ++i) {
    s += "  " + m.hyperparameters[i].first + " = " + m.hyperparameter_text[i] + "\n";
  }
  std::string tok = m.tokenizer_model ? *m.tokenizer_model : std::string("(no tokenizer.ggml.model)");
  if (m.tokenizer_pre) tok += " (pre \"" + *m.tokenizer_pre + "\")";
  if (m.vocab_size) tok += ", " + Commas(*m.vocab_size) + " tokens";
  if (m.merges) tok += ", " + Commas(*m.merges) + " merges";
  if (m.add_bos) tok += std::string(", add_bos ") + (*m.add_bos ? "true" : "false");
  if (m.add_eos) tok += std::string(", add_eos ") + (*m.add_eos ? "true" : "false");
  line("tokenizer", tok);
  std::string specials;
  for (const auto& st : m.special_tokens) {
    if (!specials.empty()) specials += ", ";
    specials += st.role + " " + std::to_string(st.id) + " " + (st.text ? Quoted(*st.text) : std::string("(none)"));
  }
  line("special tokens", specials.empty() ? std::string("(none)") : specials);
  line("chat template", m.has_chat_template ? "yes (" + Commas(m.chat_template_bytes) + " bytes)" : std::string("no"));
  if (m.kv_cache) {
    const KvCacheSize& kv = *m.kv_cache;
    line("KV cache", "per 1,024 tokens: F16 " + Bytes(kv.f16_bytes_per_1024_tokens) + ", F32 " +
                         Bytes(kv.f32_bytes_per_1024_tokens) + " (" + std::to_string(kv.n_layer) + " layers x " +
                         std::to_string(kv.n_head_kv) + " KV heads x (" + std::to_string(kv.head_dim_k) + " + " +
                         std::to_string(kv.head_dim_v) + "))");
  } else {
    line("KV cache", "(not computable from this file's metadata)");
  }
  for (const auto& n : m.notes) line("note", n);
  if (with_tensors) {
    s += "tensors:\n";
    for (const auto& t : m.tensors) {
      std::string shape = "[";
      for (size_t d = 0; d < t.shape.size(); ++d) shape += (d ? ", " : "") + std::to_string(t.shape[d]);
      shape += "]";
      std::snprintf(buf, sizeof(buf), "  %-6s %-22s ", t.type.c_str(), shape.c_str());
      s += buf + t.name + "  " + Commas(t.bytes) + " bytes at " + std::to_string(t.offset) + "\n";
    }
  }
  return s;
}

nlohmann::ordered_json ModelInfoJson(const GgufSummary& m, bool with_tensors) {
  using J = nlohmann::ordered_json;
  auto opt = [](const auto& o) -> J { return o ? J(*o) : J(nullptr); };
  J j;
  j["file"] = m.path;
  j["file_size_bytes"] = m.file_size_bytes;
  j["gguf_version"] = m.gguf_version;
  j["alignment"] = m.alignment;
  j["key_count"] = m.key_count;
  j["tensor_count"] = m.tensors.size();
  j["architecture"] = opt(m.architecture);
  j["name"] = opt(m.name);
  j["file_type"] = m.file_type_id ? J{{"id", *m.file_type_id}, {"name", opt(m.file_type_name)}} : J(nullptr);
  j["parameters"] = m.parameters;
  j["tensor_bytes"] = m.tensor_bytes;
  j["bits_per_weight"] = opt(m.bits_per_weight);
  J types = J::object();
  for (const auto& [type, st] : m.tensor_types) {
    types[type] = {{"tensors", st.tensors}, {"parameters", st.parameters}, {"bytes", st.bytes}};
  }
  j["tensor_types"] = types;
  J hp = J::object();
  for (const auto& [k, v] : m.hyperparameters) hp[k] = v;
  j["hyperparameters"] = hp;
  J specials = J::object();
  for (const auto& st : m.special_tokens) specials[st.role] = {{"id", st.id}, {"text", opt(st.text)}};
  j["tokenizer"] = {{"model", opt(m.tokenizer_model)}, {"pre", opt(m.tokenizer_pre)},
                    {"vocab_size", opt(m.vocab_size)}, {"merges", opt(m.merges)},
                    {"add_bos", opt(m.add_bos)}, {"add_eos", opt(m.add_eos)},
                    {"special_tokens", specials}, {"chat_template", m.has_chat_template},
                    {"chat_template_bytes", m.chat_template_bytes}};
  if (m.kv_cache) {
    const KvCacheSize& kv = *m.kv_cache;
    j["kv_cache"] = {{"n_layer", kv.n_layer}, {"n_head_kv", kv.n_head_kv}, {"head_dim_k", kv.head_dim_k},
                     {"head_dim_v", kv.head_dim_v}, {"f16_bytes_per_1024_tokens", kv.f16_bytes_per_1024_tokens},
                     {"f32_bytes_per_1024_tokens", kv.f32_bytes_per_1024_tokens}};
  } else {
    j["kv_cache"] = nullptr;
  }
  j["notes"] = m.notes;
  if (with_tensors) {
    J rows = J::array();
    for (const auto& t : m.tensors) {
      rows.push_back({{"name", t.name}, {"type", t.type}, {"shape", t.shape}, {"parameters", t.parameters},
                      {"bytes", t.bytes}, {"offset", t.offset}});
    }
    j["tensors"] = rows;
  }
  return j;
}

}  // namespace edgelm
