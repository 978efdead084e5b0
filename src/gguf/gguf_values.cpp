// Typed key look-ups and value formatting for GgufFile. The values were validated while
// parsing (types known, arrays within the file); here only type and range checks remain.
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "gguf/gguf_reader.h"

namespace edgelm {
namespace {

// An integer scalar widened without loss: either a signed or an unsigned 64-bit value.
struct WideInt {
  bool is_signed = false;
  int64_t s = 0;
  uint64_t u = 0;
  bool FitsRange(int64_t lo, uint64_t hi) const {
    if (is_signed) return s >= lo && (s < 0 || static_cast<uint64_t>(s) <= hi);
    return u <= hi && (lo <= 0 || u >= static_cast<uint64_t>(lo));
  }
  std::string Text() const { return is_signed ? std::to_string(s) : std::to_string(u); }
};

std::optional<WideInt> AsWideInt(const GgufKeyValue& kv) {
  WideInt w;
  switch (kv.type) {
    case GgufValueType::kU8: w.u = std::get<uint8_t>(kv.scalar); return w;
    case GgufValueType::kU16: w.u = std::get<uint16_t>(kv.scalar); return w;
    case GgufValueType::kU32: w.u = std::get<uint32_t>(kv.scalar); return w;
    case GgufValueType::kU64: w.u = std::get<uint64_t>(kv.scalar); return w;
    case GgufValueType::kI8: w.is_signed = true; w.s = std::get<int8_t>(kv.scalar); return w;
    case GgufValueType::kI16: w.is_signed = true; w.s = std::get<int16_t>(kv.scalar); return w;
    case GgufValueType::kI32: w.is_signed = true; w.s = std::get<int32_t>(kv.scalar); return w;
    case GgufValueType::kI64: w.is_signed = true; w.s = std::get<int64_t>(kv.scalar); return w;
    default: return std::nullopt;
  }
}

template <typename T>
T LoadLe(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// Float elements read as integers: truncate toward zero, saturate, NaN -> 0. A plain cast
// is undefined behaviour for values a hostile file can hold.
int64_t SaturatingToInt64(double v) {
  if (std::isnan(v)) return 0;
  if (v >= 9223372036854775807.0) return std::numeric_limits<int64_t>::max();
  if (v <= -9223372036854775808.0) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(v);
}

std::string QuoteString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') { out += '\\'; out += c; }
    else if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '\r') out += "\\r";
    else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string FloatText(double v) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

}  // namespace

int64_t GgufArray::IntAt(uint64_t i) const {
  EDGELM_CHECK_MSG(i < count && data != nullptr, "GgufArray::IntAt out of range or not numeric");
  const uint8_t* p = data + i * GgufValueTypeSize(element_type);
  switch (element_type) {
    case GgufValueType::kU8: return LoadLe<uint8_t>(p);
    case GgufValueType::kI8: return LoadLe<int8_t>(p);
    case GgufValueType::kU16: return LoadLe<uint16_t>(p);
    case GgufValueType::kI16: return LoadLe<int16_t>(p);
    case GgufValueType::kU32: return LoadLe<uint32_t>(p);
    case GgufValueType::kI32: return LoadLe<int32_t>(p);
    case GgufValueType::kU64: return static_cast<int64_t>(LoadLe<uint64_t>(p));
    case GgufValueType::kI64: return LoadLe<int64_t>(p);
    case GgufValueType::kBool: return LoadLe<uint8_t>(p);
    case GgufValueType::kF32: return SaturatingToInt64(LoadLe<float>(p));
    case GgufValueType::kF64: return SaturatingToInt64(LoadLe<double>(p));
    default: break;
  }
  CheckFailed(__FILE__, __LINE__, "numeric array", "IntAt on a string array");
}

double GgufArray::FloatAt(uint64_t i) const {
  EDGELM_CHECK_MSG(i < count && data != nullptr, "GgufArray::FloatAt out of range or not numeric");
  const uint8_t* p = data + i * GgufValueTypeSize(element_type);
  switch (element_type) {
    case GgufValueType::kF32: return LoadLe<float>(p);
    case GgufValueType::kF64: return LoadLe<double>(p);
    case GgufValueType::kU64: return static_cast<double>(LoadLe<uint64_t>(p));
    default: return static_cast<double>(IntAt(i));
  }
}

namespace {

Status MissingKey(const std::string& file, std::string_view key) {
  return NotFoundError(file + ": key '" + std::string(key) +
                       "' not found (an incomplete conversion, or a different architecture?)");
}

Status WrongType(const std::string& file, const GgufKeyValue& kv, const std::string& expected) {
  std::string found = GgufValueTypeName(kv.type);
  if (kv.type == GgufValueType::kArray) {
    found = std::string("array of ") + GgufValueTypeName(kv.array.element_type);
  }
  return CorruptError(file + ": key '" + kv.key + "' has type " + found + ", expected " +
                      expected + " (badly written file?)");
}

template <typename T>
Result<T> GetInt(const GgufFile& f, std::string_view key, const char* type_name) {
  const GgufKeyValue* kv = f.FindKeyOrNull(key);
  if (kv == nullptr) return MissingKey(f.name(), key);
  const auto w = AsWideInt(*kv);
  if (!w) return WrongType(f.name(), *kv, std::string("an integer fitting ") + type_name);
  const int64_t lo = static_cast<int64_t>(std::numeric_limits<T>::min());
  const uint64_t hi = static_cast<uint64_t>(std::numeric_limits<T>::max());
  if (!w->FitsRange(lo, hi)) {
    return OutOfRangeError(f.name() + ": key '" + kv->key + "' is " + w->Text() + ", which does not fit " +
                           type_name + " (expected " + std::to_string(lo) + ".." + std::to_string(hi) +
                           "; corrupt value?)");
  }
  return w->is_signed ? static_cast<T>(w->s) : static_cast<T>(w->u);
}

}  // namespace

Result<uint32_t> GgufFile::GetU32(std::string_view key) const { return GetInt<uint32_t>(*this, key, "u32"); }
Result<int32_t> GgufFile::GetI32(std::string_view key) const { return GetInt<int32_t>(*this, key, "i32"); }
Result<uint64_t> GgufFile::GetU64(std::string_view key) const { return GetInt<uint64_t>(*this, key, "u64"); }

Result<float> GgufFile::GetF32(std::string_view key) const {
  const GgufKeyValue* kv = FindKeyOrNull(key);
  if (kv == nullptr) return MissingKey(name_, key);
  if (kv->type == GgufValueType::kF32) return std::get<float>(kv->scalar);
  if (kv->type == GgufValueType::kF64) return static_cast<float>(std::get<double>(kv->scalar));
  return WrongType(name_, *kv, "f32 or f64");
}

Result<bool> GgufFile::GetBool(std::string_view key) const {
  const GgufKeyValue* kv = FindKeyOrNull(key);
  if (kv == nullptr) return MissingKey(name_, key);
  if (kv->type != GgufValueType::kBool) return WrongType(name_, *kv, "bool");
  return std::get<bool>(kv->scalar);
}

Result<std::string> GgufFile::GetString(std::string_view key) const {
  const GgufKeyValue* kv = FindKeyOrNull(key);
  if (kv == nullptr) return MissingKey(name_, key);
  if (kv->type != GgufValueType::kString) return WrongType(name_, *kv, "string");
  return std::string(std::get<std::string_view>(kv->scalar));
}

Result<const GgufArray*> GgufFile::GetArray(std::string_view key, GgufValueType element_type) const {
  const GgufKeyValue* kv = FindKeyOrNull(key);
  if (kv == nullptr) return MissingKey(name_, key);
  if (kv->type != GgufValueType::kArray || kv->array.element_type != element_type) {
    return WrongType(name_, *kv, std::string("array of ") + GgufValueTypeName(element_type));
  }
  return &kv->array;
}

Result<uint32_t> GgufFile::GetU32Or(std::string_view key, uint32_t fallback) const {
  return FindKeyOrNull(key) ? GetU32(key) : Result<uint32_t>(fallback);
}
Result<float> GgufFile::GetF32Or(std::string_view key, float fallback) const {
  return FindKeyOrNull(key) ? GetF32(key) : Result<float>(fallback);
}
Result<bool> GgufFile::GetBoolOr(std::string_view key, bool fallback) const {
  return FindKeyOrNull(key) ? GetBool(key) : Result<bool>(fallback);
}
Result<std::string> GgufFile::GetStringOr(std::string_view key, std::string fallback) const {
  return FindKeyOrNull(key) ? GetString(key) : Result<std::string>(std::move(fallback));
}

namespace {

std::string ScalarText(const GgufScalar& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>) return x ? "true" : "false";
        else if constexpr (std::is_same_v<T, std::string_view>) return QuoteString(x);
        else if constexpr (std::is_floating_point_v<T>) return FloatText(x);
        else if constexpr (std::is_signed_v<T>) return std::to_string(static_cast<int64_t>(x));
        else return std::to_string(static_cast<uint64_t>(x));
      },
      v);
}

std::string ArrayElementText(const GgufArray& a, uint64_t i) {
  switch (a.element_type) {
    case GgufValueType::kString: return QuoteString(a.strings[i]);
    case GgufValueType::kF32: case GgufValueType::kF64: return FloatText(a.FloatAt(i));
    case GgufValueType::kBool: return a.IntAt(i) ? "true" : "false";
    case GgufValueType::kU64: return std::to_string(static_cast<uint64_t>(a.IntAt(i)));
    default: return std::to_string(a.IntAt(i));
  }
}

}  // namespace

std::string GgufFile::ValueToString(const GgufKeyValue& kv, size_t max_array_items) const {
  if (kv.type != GgufValueType::kArray) return ScalarText(kv.scalar);
  const GgufArray& a = kv.array;
  std::string s = "[";
  const uint64_t shown = std::min<uint64_t>(a.count, max_array_items);
  for (uint64_t i = 0; i < shown; ++i) {
    if (i) s += ", ";
    s += ArrayElementText(a, i);
  }
  if (shown < a.count) s += std::string(shown ? ", " : "") + "...";
  s += "]";
  if (shown < a.count) {
    s += " (" + std::to_string(a.count) + " " + GgufValueTypeName(a.element_type) + ")";
  }
  return s;
}

}  // namespace edgelm
