// GGUF container writer (version 3 by default, 2 on request).
//
// Goals: write any valid GGUF file while holding only the metadata and the tensor table in
// memory: tensor data is streamed in declaration order through Write() calls of any
// size, so a multi-gigabyte model never needs to fit in RAM. The writer refuses to
// produce a file its own reader would reject (bad shapes, duplicate names, bad alignment).
// Non-goals: editing a file in place; knowledge of transformers.
//
// Usage:
//   GgufWriter w;
//   w.SetString("general.architecture", "llama");
//   EDGELM_RETURN_IF_ERROR(w.AddTensor("token_embd.weight", GgmlType::kF16, {n_embd, n_vocab}));
//   EDGELM_RETURN_IF_ERROR(w.Begin("out.gguf"));          // header, tables, padding
//   EDGELM_RETURN_IF_ERROR(w.Write(rows, n_bytes));       // any number of calls per tensor
//   EDGELM_RETURN_IF_ERROR(w.Finish());                    // all tensors complete, file closed
// The file is written as OUT.partial and renamed to OUT by Finish(); a writer destroyed
// before Finish() removes its partial file.
#pragma once

#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "gguf/ggml_types.h"
#include "gguf/gguf_reader.h"

namespace edgelm {

class GgufWriter {
 public:
  GgufWriter() = default;
  ~GgufWriter();
  GgufWriter(const GgufWriter&) = delete;
  GgufWriter& operator=(const GgufWriter&) = delete;

  // 2 or 3 (the layouts are identical for little-endian files). Default 3.
  Status SetVersion(uint32_t version);

  // Metadata. Setting an existing key replaces its value and keeps its position.
  void SetU8(std::string_view key, uint8_t v);
  void SetI8(std::string_view key, int8_t v);
  void SetU16(std::string_view key, uint16_t v);
  void SetI16(std::string_view key, int16_t v);
  void SetU32(std::string_view key, uint32_t v);
  void SetI32(std::string_view key, int32_t v);
  void SetF32(std::string_view key, float v);
  void SetBool(std::string_view key, bool v);
  void SetString(std::string_view key, std::string_view v);
  void SetU64(std::string_view key, uint64_t v);
  void SetI64(std::string_view key, int64_t v);
  void SetF64(std::string_view key, double v);
  // Numeric/bool array: `count` elements of `element_type` stored little-endian at `data`.
  // Errors for string/array element types (use SetStringArray; nested arrays do not exist).
  Status SetArray(std::string_view key, GgufValueType element_type, const void* data, uint64_t count);
  void SetStringArray(std::string_view key, std::span<const std::string> values);
  void SetStringArray(std::string_view key, std::span<const std::string_view> values);
  void SetI32Array(std::string_view key, std::span<const int32_t> values);
  void SetU32Array(std::string_view key, std::span<const uint32_t> values);
  void SetF32Array(std::string_view key, std::span<const float> values);
  // Copies one key/value (any type) from a parsed file.
  void CopyKeyValue(const GgufKeyValue& kv);
  bool HasKey(std::string_view key) const;
  void RemoveKey(std::string_view key);
  size_t key_count() const { return kvs_.size(); }

  // Declares the next tensor; data must later be written in declaration order. ne[0] is
  // the innermost dimension (ggml order), 1..4 dims, each > 0, ne[0] a block multiple.
  Status AddTensor(std::string_view name, GgmlType type, std::span<const int64_t> ne);
  Status AddTensor(std::string_view name, GgmlType type, std::initializer_list<int64_t> ne) {
    return AddTensor(name, type, std::span<const int64_t>(ne.begin(), ne.size()));
  }
  size_t tensor_count() const { return tensors_.size(); }

  // Writes header, metadata, tensor table and padding to `path` (created or truncated).
  // Metadata and tensors are frozen afterwards.
  Status Begin(const std::string& path);
  // The same into memory (tests, fuzz seeds): `out` receives the whole file; Finish()
  // must still be called.
  Status BeginInMemory(std::vector<uint8_t>* out);

  // Appends tensor data: bytes go to the current tensor; a call may not run past its end.
  // When a tensor is complete the alignment padding is written and the next one starts.
  Status Write(const void* data, uint64_t n_bytes);
  // Convenience: checks that `name` is the next tensor and writes all its bytes.
  Status WriteTensor(std::string_view name, const void* data, uint64_t n_bytes);
  // Checks every tensor is complete, flushes and closes. The file is valid only after this.
  Status Finish();

  // Layout, valid after Begin(): total file size and each tensor's data offset and size.
  uint64_t file_size_bytes() const { return file_size_; }
  uint64_t data_offset() const { return data_offset_; }
  uint32_t alignment() const { return alignment_; }
  uint64_t bytes_written() const { return written_; }
  // Name of the tensor whose bytes Write() expects next ("" when all are complete).
  std::string NextTensorName() const;

 private:
  struct Entry {
    std::string key;
    GgufValueType type;
    std::string payload;  // the encoded value, without key and type
  };
  struct Tensor {
    std::string name;
    GgmlType type;
    uint32_t n_dims;
    int64_t ne[4];
    uint64_t n_bytes;
    uint64_t offset = 0;  // relative to the data section
  };

  void Set(std::string_view key, GgufValueType type, std::string payload);
  Status Layout(std::string* head);
  Status Emit(const void* data, uint64_t n);
  Status EmitPadding(uint64_t n);

  uint32_t version_ = 3;
  std::vector<Entry> kvs_;
  std::vector<Tensor> tensors_;
  uint32_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  uint64_t file_size_ = 0;

  enum class State { kDeclaring, kWriting, kFinished, kFailed };
  State state_ = State::kDeclaring;
  std::string path_;
  std::string partial_path_;  // where the data goes until Finish() renames it to path_
  std::FILE* file_ = nullptr;
  std::vector<uint8_t>* memory_ = nullptr;
  uint64_t written_ = 0;      // bytes emitted so far
  size_t current_ = 0;        // index of the tensor being written
  uint64_t current_done_ = 0; // bytes of it written
};

}  // namespace edgelm
