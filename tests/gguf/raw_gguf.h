// Serializes a GGUF file from a plain description, deliberately wrong where a test asks:
// counts, lengths, types, dims and offsets are written exactly as given, never checked.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace edgelm::testing {

struct RawKv {
  std::string key;
  uint32_t type;
  std::string payload;  // encoded value bytes
};

struct RawTensor {
  std::string name;
  uint32_t type;
  std::vector<uint64_t> ne;
  uint64_t offset;
  std::optional<uint32_t> n_dims;  // default ne.size()
};

class RawBytes {
 public:
  template <typename T>
  RawBytes& Put(T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    s_.append(b, sizeof(T));
    return *this;
  }
  RawBytes& Str(const std::string& v) {
    Put<uint64_t>(v.size());
    s_ += v;
    return *this;
  }
  RawBytes& Append(const std::string& raw) {
    s_ += raw;
    return *this;
  }
  const std::string& bytes() const { return s_; }
  operator std::string() const { return s_; }  // NOLINT: payload building

 private:
  std::string s_;
};

inline std::string U32(uint32_t v) { return RawBytes().Put(v); }
inline std::string U64(uint64_t v) { return RawBytes().Put(v); }
inline std::string Str(const std::string& v) { return RawBytes().Str(v); }

struct RawGguf {
  uint32_t magic = 0x46554747;
  uint32_t version = 3;
  std::optional<uint64_t> n_tensors, n_kv;  // default: the vector sizes
  std::vector<RawKv> kvs;
  std::vector<RawTensor> tensors;
  uint32_t pad_to = 32;           // padding after the tensor table
  uint64_t data_bytes = 0;        // bytes of (pattern) tensor data after the padding

  std::vector<uint8_t> Serialize() const {
    RawBytes b;
    b.Put(magic).Put(version);
    b.Put<uint64_t>(n_tensors.value_or(tensors.size()));
    b.Put<uint64_t>(n_kv.value_or(kvs.size()));
    for (const auto& kv : kvs) {
      b.Str(kv.key).Put(kv.type).Append(kv.payload);
    }
    for (const auto& t : tensors) {
      b.Str(t.name).Put<uint32_t>(t.n_dims.value_or(static_cast<uint32_t>(t.ne.size())));
      for (uint64_t d : t.ne) b.Put(d);
      b.Put(t.type).Put(t.offset);
    }
    std::string s = b;
    while (pad_to > 1 && s.size() % pad_to != 0) s.push_back('\0');
    for (uint64_t i = 0; i < data_bytes; ++i) s.push_back(static_cast<char>(i * 7 + 1));
    return std::vector<uint8_t>(s.begin(), s.end());
  }
};

}  // namespace edgelm::testing
