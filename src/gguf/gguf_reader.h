// GGUF container reader (versions 2 and 3).
//
// Goals: read any GGUF file through a read-only memory map without trusting a single
// byte of it: validation in layers (container, sizes, schema of the container itself),
// every error naming the key or tensor, the expected and found values and the likely
// cause. Non-goals: any knowledge of transformers (the model loader maps keys and
// tensors to a config and checks shapes); writing (gguf_writer.h).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/mapped_file.h"
#include "core/status.h"
#include "gguf/ggml_types.h"

namespace edgelm {

enum class GgufValueType : uint32_t {
  kU8 = 0, kI8 = 1, kU16 = 2, kI16 = 3, kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7,
  kString = 8, kArray = 9, kU64 = 10, kI64 = 11, kF64 = 12,
};
const char* GgufValueTypeName(GgufValueType t);
// Bytes per element of a fixed-size value type; 0 for string and array.
uint64_t GgufValueTypeSize(GgufValueType t);
// Whether a raw type id read from a file names a value type (0..12).
bool IsKnownGgufValueType(uint32_t id);

// An array value. Numeric elements stay in the file (little-endian, `data` points into
// the map); string elements are views into the map.
struct GgufArray {
  GgufValueType element_type = GgufValueType::kU8;
  uint64_t count = 0;
  const uint8_t* data = nullptr;             // numeric/bool elements, count × element size
  std::vector<std::string_view> strings;     // when element_type == kString

  // Element i converted to the requested numeric type (the caller checked the type).
  int64_t IntAt(uint64_t i) const;
  double FloatAt(uint64_t i) const;
};

using GgufScalar = std::variant<uint8_t, int8_t, uint16_t, int16_t, uint32_t, int32_t, float,
                                bool, std::string_view, uint64_t, int64_t, double>;

struct GgufKeyValue {
  std::string key;
  GgufValueType type;
  GgufScalar scalar;   // when type != kArray
  GgufArray array;     // when type == kArray
};

struct GgufTensorInfo {
  std::string name;
  GgmlType type;
  uint32_t n_dims;
  int64_t ne[4];           // ne[0] innermost; unused dims are 1
  uint64_t n_elements;
  uint64_t offset;         // relative to the start of the data section
  uint64_t n_bytes;
  const uint8_t* data;     // into the map (file start + data_offset + offset)
};

class GgufFile {
 public:
  // Maps and parses a file. The returned object owns the map; views stay valid as long
  // as it lives.
  static Result<std::unique_ptr<GgufFile>> Open(const std::string& path);
  // Parses a buffer that outlives the returned object (fuzzing, tests). `name` is used
  // in error messages.
  static Result<std::unique_ptr<GgufFile>> Parse(const uint8_t* data, uint64_t size,
                                                 const std::string& name);

  uint32_t version() const { return version_; }
  uint32_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }   // start of the tensor data section
  uint64_t file_size() const { return size_; }
  const std::string& name() const { return name_; }      // path or buffer name
  const uint8_t* file_data() const { return data_; }

  const std::vector<GgufKeyValue>& metadata() const { return kvs_; }
  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }

  const GgufKeyValue* FindKeyOrNull(std::string_view key) const;
  const GgufTensorInfo* FindTensorOrNull(std::string_view name) const;
  Result<const GgufTensorInfo*> GetTensor(std::string_view name) const;

  // Typed look-ups. Integer getters accept any integer type whose value fits; the error
  // says which key is missing or which type it has instead.
  Result<uint32_t> GetU32(std::string_view key) const;
  Result<int32_t> GetI32(std::string_view key) const;
  Result<uint64_t> GetU64(std::string_view key) const;
  Result<float> GetF32(std::string_view key) const;    // accepts f32/f64
  Result<bool> GetBool(std::string_view key) const;
  Result<std::string> GetString(std::string_view key) const;
  Result<const GgufArray*> GetArray(std::string_view key, GgufValueType element_type) const;

  // Convenience: value or fallback when the key is absent (a present key of the wrong
  // type is still an error).
  Result<uint32_t> GetU32Or(std::string_view key, uint32_t fallback) const;
  Result<float> GetF32Or(std::string_view key, float fallback) const;
  Result<bool> GetBoolOr(std::string_view key, bool fallback) const;
  Result<std::string> GetStringOr(std::string_view key, std::string fallback) const;

  // Human-readable value (arrays abbreviated), for `inspect`.
  std::string ValueToString(const GgufKeyValue& kv, size_t max_array_items = 8) const;

 private:
  GgufFile() = default;
  std::unique_ptr<MappedFile> map_;  // null for Parse()
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  std::string name_;
  uint32_t version_ = 0;
  uint32_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<GgufKeyValue> kvs_;
  std::vector<GgufTensorInfo> tensors_;
  std::map<std::string, size_t, std::less<>> kv_index_;
  std::map<std::string, size_t, std::less<>> tensor_index_;

  friend class GgufParser;
};

}  // namespace edgelm
