// Writes small GGUF v3 files in memory (metadata only, no tensors) so that tests can feed
// the tokenizer loader exactly the malformed metadata they need.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace edgelm::testing {

class GgufBuilder {
 public:
  GgufBuilder& Str(const std::string& key, const std::string& value) {
    Key(key, 8);
    String(value);
    ++n_kv_;
    return *this;
  }
  GgufBuilder& U32(const std::string& key, uint32_t value) { return Scalar(key, 4, value); }
  GgufBuilder& I32(const std::string& key, int32_t value) { return Scalar(key, 5, value); }
  GgufBuilder& Bool(const std::string& key, bool value) {
    Key(key, 7);
    body_.push_back(value ? 1 : 0);
    ++n_kv_;
    return *this;
  }
  GgufBuilder& StrArray(const std::string& key, const std::vector<std::string>& values) {
    Key(key, 9);
    Put<uint32_t>(8);
    Put<uint64_t>(values.size());
    for (const auto& v : values) String(v);
    ++n_kv_;
    return *this;
  }
  GgufBuilder& I32Array(const std::string& key, const std::vector<int32_t>& values) {
    Key(key, 9);
    Put<uint32_t>(5);
    Put<uint64_t>(values.size());
    for (int32_t v : values) Put(v);
    ++n_kv_;
    return *this;
  }
  GgufBuilder& F32Array(const std::string& key, const std::vector<float>& values) {
    Key(key, 9);
    Put<uint32_t>(6);
    Put<uint64_t>(values.size());
    for (float v : values) Put(v);
    ++n_kv_;
    return *this;
  }

  std::vector<uint8_t> Build() const {
    std::vector<uint8_t> out = {'G', 'G', 'U', 'F'};
    Append(out, uint32_t{3});
    Append(out, uint64_t{0});  // tensors
    Append(out, n_kv_);
    out.insert(out.end(), body_.begin(), body_.end());
    while (out.size() % 32 != 0) out.push_back(0);  // data section alignment
    return out;
  }

 private:
  template <typename T>
  static void Append(std::vector<uint8_t>& out, T v) {
    uint8_t bytes[sizeof(T)];
    std::memcpy(bytes, &v, sizeof(T));
    out.insert(out.end(), bytes, bytes + sizeof(T));
  }
  template <typename T>
  void Put(T v) { Append(body_, v); }
  void String(const std::string& s) {
    Put<uint64_t>(s.size());
    body_.insert(body_.end(), s.begin(), s.end());
  }
  void Key(const std::string& key, uint32_t type) {
    String(key);
    Put(type);
  }
  template <typename T>
  GgufBuilder& Scalar(const std::string& key, uint32_t type, T value) {
    Key(key, type);
    Put(value);
    ++n_kv_;
    return *this;
  }

  std::vector<uint8_t> body_;
  uint64_t n_kv_ = 0;
};

}  // namespace edgelm::testing
