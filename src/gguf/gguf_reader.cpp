// GGUF parsing: container (magic, version, counts), sizes (every read bounded by the
// bytes left, every multiply/add overflow-checked, counts capped before allocating),
// then the container's own schema (alignment key, tensor table consistency). The
// typed key look-ups live in gguf_values.cpp.
#include <algorithm>
#include <bit>
#include <cstring>
#include <numeric>

#include "core/checked_math.h"
#include "gguf/gguf_reader.h"

namespace edgelm {

static_assert(std::endian::native == std::endian::little,
              "the GGUF reader uses the map in place and assumes a little-endian host");

namespace {

constexpr uint32_t kGgufMagic = 0x46554747;  // "GGUF" read as a little-endian u32
constexpr uint32_t kDefaultAlignment = 32;
constexpr uint32_t kMaxDims = 4;
// Smallest possible encodings, used to cap counts by the bytes left before allocating:
// a key/value is a u64 key length + u32 type + at least a 1-byte value; a tensor info is a
// u64 name length + u32 n_dims + one u64 dim + u32 type + u64 offset.
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;
constexpr uint64_t kHeaderBytes = 4 + 4 + 8 + 8;

std::string Hex4(const uint8_t* p, uint64_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s;
  for (uint64_t i = 0; i < n; ++i) {
    if (i) s += ' ';
    s += kDigits[p[i] >> 4];
    s += kDigits[p[i] & 15];
  }
  return s;
}

}  // namespace

// Bytes per element of a fixed-size value type, 0 for string/array/unknown.
uint64_t GgufValueTypeSize(GgufValueType t) {
  switch (t) {
    case GgufValueType::kU8: case GgufValueType::kI8: case GgufValueType::kBool: return 1;
    case GgufValueType::kU16: case GgufValueType::kI16: return 2;
    case GgufValueType::kU32: case GgufValueType::kI32: case GgufValueType::kF32: return 4;
    case GgufValueType::kU64: case GgufValueType::kI64: case GgufValueType::kF64: return 8;
    case GgufValueType::kString: case GgufValueType::kArray: return 0;
  }
  return 0;
}

const char* GgufValueTypeName(GgufValueType t) {
  switch (t) {
    case GgufValueType::kU8: return "u8";
    case GgufValueType::kI8: return "i8";
    case GgufValueType::kU16: return "u16";
    case GgufValueType::kI16: return "i16";
    case GgufValueType::kU32: return "u32";
    case GgufValueType::kI32: return "i32";
    case GgufValueType::kF32: return "f32";
    case GgufValueType::kBool: return "bool";
    case GgufValueType::kString: return "string";
    case GgufValueType::kArray: return "array";
    case GgufValueType::kU64: return "u64";
    case GgufValueType::kI64: return "i64";
    case GgufValueType::kF64: return "f64";
  }
  return "unknown";
}

bool IsKnownGgufValueType(uint32_t id) { return id <= static_cast<uint32_t>(GgufValueType::kF64); }

// Sequential reader over the untrusted buffer; every read checks the bytes left first.
class GgufParser {
 public:
  GgufParser(GgufFile* file) : f_(file) {}

  Status Run() {
    EDGELM_RETURN_IF_ERROR(ParseHeader());
    EDGELM_RETURN_IF_ERROR(ParseKeyValues());
    EDGELM_RETURN_IF_ERROR(ReadAlignment());
    EDGELM_RETURN_IF_ERROR(ParseTensorInfos());
    return ValidateTensorData();
  }

 private:
  uint64_t Left() const { return f_->size_ - pos_; }  // pos_ <= size_ always holds

  Status Truncated(uint64_t need, const std::string& what) const {
    return CorruptError(f_->name_ + ": " + what + " at byte " + std::to_string(pos_) +
                        " needs " + std::to_string(need) + " bytes but only " +
                        std::to_string(Left()) + " are left (file size " +
                        std::to_string(f_->size_) + "; truncated download?)");
  }

  Status ReadBytes(void* out, uint64_t n, const std::string& what) {
    if (n > Left()) return Truncated(n, what);
    if (n) std::memcpy(out, f_->data_ + pos_, n);
    pos_ += n;
    return Status::Ok();
  }
  template <typename T>
  Status Read(T* out, const std::string& what) {
    return ReadBytes(out, sizeof(T), what);
  }

  Status ReadString(std::string_view* out, const std::string& what) {
    const uint64_t at = pos_;
    uint64_t len = 0;
    EDGELM_RETURN_IF_ERROR(Read(&len, "length of " + what));
    if (len > Left()) {
      return CorruptError(f_->name_ + ": " + what + " at byte " + std::to_string(at) +
                          " has length " + std::to_string(len) + " but only " +
                          std::to_string(Left()) +
                          " bytes are left in the file (truncated download, or a corrupt length)");
    }
    *out = std::string_view(reinterpret_cast<const char*>(f_->data_ + pos_), len);
    pos_ += len;
    return Status::Ok();
  }

  Status ParseHeader() {
    if (f_->size_ < 4) {
      return CorruptError(f_->name_ + ": file has " + std::to_string(f_->size_) +
                          " bytes, too short for a GGUF header (expected at least " +
                          std::to_string(kHeaderBytes) + "; empty or truncated file?)");
    }
    uint32_t magic = 0;
    EDGELM_RETURN_IF_ERROR(Read(&magic, "magic"));
    if (magic != kGgufMagic) {
      return CorruptError(f_->name_ + ": bad magic at byte 0: expected 'GGUF' (47 47 55 46), found " +
                          Hex4(f_->data_, 4) + " (not a GGUF file?)");
    }
    EDGELM_RETURN_IF_ERROR(Read(&f_->version_, "version"));
    const uint32_t v = f_->version_;
    if (v == 1) {
      return UnsupportedError(f_->name_ + ": GGUF version 1 at byte 4 is not supported (expected "
                              "version 2 or 3; version 1 files from 2023 used 32-bit counts: "
                              "re-convert the model with a current llama.cpp)");
    }
    if (v != 2 && v != 3) {
      const uint32_t swapped = __builtin_bswap32(v);
      std::string cause = (swapped == 2 || swapped == 3)
                              ? "a big-endian GGUF file; only little-endian files are supported"
                              : "a newer GGUF version, or a corrupt header";
      return UnsupportedError(f_->name_ + ": GGUF version at byte 4: expected 2 or 3, found " +
                              std::to_string(v) + " (" + cause + ")");
    }
    EDGELM_RETURN_IF_ERROR(Read(&n_tensors_, "tensor count"));
    EDGELM_RETURN_IF_ERROR(Read(&n_kv_, "key/value count"));
    // Cap both counts by the bytes left so a hostile count cannot drive an allocation.
    if (n_kv_ > Left() / kMinKvBytes) {
      return CorruptError(f_->name_ + ": key/value count at byte 16 is " + std::to_string(n_kv_) +
                          " but the " + std::to_string(Left()) + " bytes left hold at most " +
                          std::to_string(Left() / kMinKvBytes) +
                          " key/values (corrupt header or truncated file?)");
    }
    if (n_tensors_ > Left() / kMinTensorInfoBytes) {
      return CorruptError(f_->name_ + ": tensor count at byte 8 is " + std::to_string(n_tensors_) +
                          " but the " + std::to_string(Left()) + " bytes left hold at most " +
                          std::to_string(Left() / kMinTensorInfoBytes) +
                          " tensor infos (corrupt header or truncated file?)");
    }
    return Status::Ok();
  }

  Status ParseValue(GgufKeyValue* kv, const std::string& where) {
    switch (kv->type) {
      case GgufValueType::kU8: { uint8_t x; EDGELM_RETURN_IF_ERROR(Read(&x, where)); kv->scalar = x; break; }
      case GgufValueType::kI8: { int8_t x; EDGELM_RETURN_IF_ERROR(Read(&x, where)); kv->scalar = x; break; }
      case GgufValueType::kU16: { uint16_t x; EDGELM_RETURN_IF_ERROR(Read(&x, where)); kv->scalar = x; break; }
      case GgufValueType::kI16: { int16_t x; EDGELM_RETURN_IF_ERROR(Read(&x, where)); kv->scalar = x; break; }
      case GgufValueType::kU32: { uint32_t x; EDGELM_RETURN_IF_ERROR(Read(&x, where)); kv->scalar = x; break; }
      case GgufValueType::kI32: { int32_t x; EDGELM_RETURN_IF_ERROR(Read(&x, where)); kv->scalar = x; break; }
      case GgufValueType::kF32: { float x; EDGELM_RETURN_IF_ERROR(Read(&x, where)); kv->scalar = x; break; }
      case GgufValueType::kU64: { uint64_t x; EDGELM_RETURN_IF_ERROR(Read(&x, where)); kv->scalar = x; break; }
      case GgufValueType::kI64: { int64_t x; EDGELM_RETURN_IF_ERROR(Read(&x, where)); kv->scalar = x; break; }
      case GgufValueType::kF64: { double x; EDGELM_RETURN_IF_ERROR(Read(&x, where)); kv->scalar = x; break; }
      case GgufValueType::kBool: {
        const uint64_t at = pos_;
        uint8_t x;
        EDGELM_RETURN_IF_ERROR(Read(&x, where));
        if (x > 1) {
          return CorruptError(f_->name_ + ": " + where + " at byte " + std::to_string(at) +
                              ": bool must be 0 or 1, found " + std::to_string(x) + " (corrupt file?)");
        }
        kv->scalar = x == 1;
        break;
      }
      case GgufValueType::kString: {
        std::string_view s;
        EDGELM_RETURN_IF_ERROR(ReadString(&s, where));
        kv->scalar = s;
        break;
      }
      case GgufValueType::kArray: return ParseArray(&kv->array, where);
    }
    return Status::Ok();
  }

  Status ParseArray(GgufArray* arr, const std::string& where) {
    const uint64_t type_at = pos_;
    uint32_t et = 0;
    EDGELM_RETURN_IF_ERROR(Read(&et, "array element type of " + where));
    if (!IsKnownGgufValueType(et)) {
      return CorruptError(f_->name_ + ": " + where + " at byte " + std::to_string(type_at) +
                          ": unknown array element type " + std::to_string(et) +
                          " (expected 0..12; corrupt file or a newer GGUF version?)");
    }
    arr->element_type = static_cast<GgufValueType>(et);
    if (arr->element_type == GgufValueType::kArray) {
      // Nested arrays: no known writer emits them and ggml rejects them too.
      return UnsupportedError(f_->name_ + ": " + where + " at byte " + std::to_string(type_at) +
                              ": nested arrays (array of array) are not supported (expected an "
                              "array of numbers, bools or strings)");
    }
    const uint64_t count_at = pos_;
    EDGELM_RETURN_IF_ERROR(Read(&arr->count, "array count of " + where));
    if (arr->element_type == GgufValueType::kString) {
      // Each string needs at least its 8-byte length: cap before reserving.
      if (arr->count > Left() / 8) {
        return CorruptError(f_->name_ + ": " + where + " at byte " + std::to_string(count_at) +
                            ": array of " + std::to_string(arr->count) + " strings needs at least " +
                            std::to_string(arr->count) + " x 8 bytes but only " +
                            std::to_string(Left()) + " are left (truncated download, or a corrupt count)");
      }
      arr->strings.reserve(arr->count);
      for (uint64_t i = 0; i < arr->count; ++i) {
        std::string_view s;
        EDGELM_RETURN_IF_ERROR(ReadString(&s, where + "[" + std::to_string(i) + "]"));
        arr->strings.push_back(s);
      }
      return Status::Ok();
    }
    const uint64_t elem = GgufValueTypeSize(arr->element_type);
    const auto bytes = CheckedMul(arr->count, elem);
    if (!bytes || *bytes > Left()) {
      return CorruptError(f_->name_ + ": " + where + " at byte " + std::to_string(count_at) +
                          ": array of " + std::to_string(arr->count) + " " +
                          GgufValueTypeName(arr->element_type) + " needs " +
                          (bytes ? std::to_string(*bytes) : std::string("more than 2^64")) +
                          " bytes but only " + std::to_string(Left()) +
                          " are left (truncated download, or a corrupt count)");
    }
    arr->data = f_->data_ + pos_;
    if (arr->element_type == GgufValueType::kBool) {
      for (uint64_t i = 0; i < arr->count; ++i) {
        if (arr->data[i] > 1) {
          return CorruptError(f_->name_ + ": " + where + "[" + std::to_string(i) + "] at byte " +
                              std::to_string(pos_ + i) + ": bool must be 0 or 1, found " +
                              std::to_string(arr->data[i]) + " (corrupt file?)");
        }
      }
    }
    pos_ += *bytes;
    return Status::Ok();
  }

  Status ParseKeyValues() {
    f_->kvs_.reserve(n_kv_);
    for (uint64_t i = 0; i < n_kv_; ++i) {
      const uint64_t at = pos_;
      const std::string idx = "key/value #" + std::to_string(i);
      std::string_view key;
      EDGELM_RETURN_IF_ERROR(ReadString(&key, "key of " + idx));
      GgufKeyValue kv;
      kv.key = std::string(key);
      const std::string where = "key '" + kv.key + "' (" + idx + ")";
      if (f_->kv_index_.count(kv.key)) {
        return CorruptError(f_->name_ + ": duplicate key '" + kv.key + "' at byte " +
                            std::to_string(at) + " (" + idx + "; first defined as #" +
                            std::to_string(f_->kv_index_.find(kv.key)->second) +
                            "; corrupt or badly written file)");
      }
      const uint64_t type_at = pos_;
      uint32_t type = 0;
      EDGELM_RETURN_IF_ERROR(Read(&type, "value type of " + where));
      if (!IsKnownGgufValueType(type)) {
        return CorruptError(f_->name_ + ": " + where + " at byte " + std::to_string(type_at) +
                            ": unknown value type " + std::to_string(type) +
                            " (expected 0..12; corrupt file or a newer GGUF version?)");
      }
      kv.type = static_cast<GgufValueType>(type);
      EDGELM_RETURN_IF_ERROR(ParseValue(&kv, "value of " + where));
      f_->kv_index_.emplace(kv.key, f_->kvs_.size());
      f_->kvs_.push_back(std::move(kv));
    }
    return Status::Ok();
  }

  Status ReadAlignment() {
    f_->alignment_ = kDefaultAlignment;
    const GgufKeyValue* kv = f_->FindKeyOrNull("general.alignment");
    if (kv == nullptr) return Status::Ok();
    if (kv->type != GgufValueType::kU32) {
      return CorruptError(f_->name_ + ": key 'general.alignment' has type " +
                          GgufValueTypeName(kv->type) + ", expected u32 (badly written file)");
    }
    const uint32_t a = std::get<uint32_t>(kv->scalar);
    if (!IsPowerOfTwo(a)) {
      return CorruptError(f_->name_ + ": key 'general.alignment' is " + std::to_string(a) +
                          ", expected a power of two (corrupt file?)");
    }
    f_->alignment_ = a;
    return Status::Ok();
  }

  Status ParseTensorInfos() {
    // Re-check the tensor count against what is left now that the key/values are read.
    if (n_tensors_ > Left() / kMinTensorInfoBytes) {
      return CorruptError(f_->name_ + ": tensor count " + std::to_string(n_tensors_) +
                          " but the " + std::to_string(Left()) + " bytes left after the " +
                          "metadata (at byte " + std::to_string(pos_) + ") hold at most " +
                          std::to_string(Left() / kMinTensorInfoBytes) +
                          " tensor infos (truncated download?)");
    }
    f_->tensors_.reserve(n_tensors_);
    for (uint64_t i = 0; i < n_tensors_; ++i) {
      const uint64_t at = pos_;
      const std::string idx = "tensor info #" + std::to_string(i);
      std::string_view name;
      EDGELM_RETURN_IF_ERROR(ReadString(&name, "name of " + idx));
      GgufTensorInfo t{};
      t.name = std::string(name);
      const std::string where = "tensor '" + t.name + "' (" + idx + ")";
      if (f_->tensor_index_.count(t.name)) {
        return CorruptError(f_->name_ + ": duplicate tensor name '" + t.name + "' at byte " +
                            std::to_string(at) + " (" + idx + "; first defined as #" +
                            std::to_string(f_->tensor_index_.find(t.name)->second) +
                            "; corrupt or badly written file)");
      }
      const uint64_t dims_at = pos_;
      EDGELM_RETURN_IF_ERROR(Read(&t.n_dims, "n_dims of " + where));
      if (t.n_dims < 1 || t.n_dims > kMaxDims) {
        return CorruptError(f_->name_ + ": " + where + " at byte " + std::to_string(dims_at) +
                            ": n_dims is " + std::to_string(t.n_dims) + ", expected 1..4 (corrupt file?)");
      }
      uint64_t n_elements = 1;
      for (uint32_t d = 0; d < kMaxDims; ++d) t.ne[d] = 1;
      for (uint32_t d = 0; d < t.n_dims; ++d) {
        const uint64_t ne_at = pos_;
        uint64_t ne = 0;
        EDGELM_RETURN_IF_ERROR(Read(&ne, "ne[" + std::to_string(d) + "] of " + where));
        if (ne == 0 || ne > static_cast<uint64_t>(INT64_MAX)) {
          return CorruptError(f_->name_ + ": " + where + " at byte " + std::to_string(ne_at) +
                              ": ne[" + std::to_string(d) + "] is " + std::to_string(ne) +
                              ", expected 1..2^63-1 (corrupt file?)");
        }
        t.ne[d] = static_cast<int64_t>(ne);
        const auto prod = CheckedMul(n_elements, ne);
        if (!prod || *prod > static_cast<uint64_t>(INT64_MAX)) {
          return CorruptError(f_->name_ + ": " + where + " at byte " + std::to_string(ne_at) +
                              ": element count overflows 2^63 (shape " + ShapeText(t, d + 1) +
                              "; corrupt file?)");
        }
        n_elements = *prod;
      }
      t.n_elements = n_elements;
      const uint64_t type_at = pos_;
      uint32_t type_id = 0;
      EDGELM_RETURN_IF_ERROR(Read(&type_id, "type of " + where));
      const GgmlTypeInfo* info = FindGgmlTypeInfo(type_id);
      if (info == nullptr) {
        return UnsupportedError(f_->name_ + ": " + where + " at byte " + std::to_string(type_at) +
                                ": unknown ggml type id " + std::to_string(type_id) +
                                " (no ggml version defines it; corrupt file, or written by a newer ggml?)");
      }
      t.type = info->type;
      if (static_cast<uint64_t>(t.ne[0]) % info->block_size != 0) {
        return CorruptError(f_->name_ + ": " + where + ": row length ne[0] = " +
                            std::to_string(t.ne[0]) + " is not a multiple of the " + info->name +
                            " block size " + std::to_string(info->block_size) + " (corrupt file?)");
      }
      // n_bytes = rows * (ne0 / block) * block_bytes, all checked.
      const auto row_bytes = CheckedMul(static_cast<uint64_t>(t.ne[0]) / info->block_size, info->block_bytes);
      const auto n_bytes = row_bytes ? CheckedMul(*row_bytes, n_elements / static_cast<uint64_t>(t.ne[0]))
                                     : std::nullopt;
      if (!n_bytes) {
        return CorruptError(f_->name_ + ": " + where + ": byte size of shape " +
                            ShapeText(t, t.n_dims) + " overflows 2^64 (corrupt file?)");
      }
      t.n_bytes = *n_bytes;
      const uint64_t off_at = pos_;
      EDGELM_RETURN_IF_ERROR(Read(&t.offset, "offset of " + where));
      if (t.offset % f_->alignment_ != 0) {
        return CorruptError(f_->name_ + ": " + where + " at byte " + std::to_string(off_at) +
                            ": data offset " + std::to_string(t.offset) +
                            " is not a multiple of the alignment " + std::to_string(f_->alignment_) +
                            " (corrupt file, or general.alignment does not match the writer's)");
      }
      f_->tensor_index_.emplace(t.name, f_->tensors_.size());
      f_->tensors_.push_back(std::move(t));
    }
    return Status::Ok();
  }

  static std::string ShapeText(const GgufTensorInfo& t, uint32_t n) {
    std::string s = "[";
    for (uint32_t d = 0; d < n; ++d) {
      if (d) s += ", ";
      s += std::to_string(t.ne[d]);
    }
    return s + "]";
  }

  Status ValidateTensorData() {
    const auto data_offset = CheckedAlignUp(pos_, f_->alignment_);
    EDGELM_CHECK(data_offset.has_value());  // pos_ <= size_ < 2^64 - alignment in practice
    f_->data_offset_ = *data_offset;
    if (f_->tensors_.empty()) return Status::Ok();  // vocab-only files may end unpadded
    if (f_->data_offset_ > f_->size_) {
      return CorruptError(f_->name_ + ": tensor data section should start at byte " +
                          std::to_string(f_->data_offset_) + " (after the tensor table, aligned to " +
                          std::to_string(f_->alignment_) + ") but the file has " +
                          std::to_string(f_->size_) + " bytes (truncated download?)");
    }
    const uint64_t data_bytes = f_->size_ - f_->data_offset_;
    for (auto& t : f_->tensors_) {
      const auto end = CheckedAdd(t.offset, t.n_bytes);
      if (!end || *end > data_bytes) {
        const auto abs_end = end ? CheckedAdd(*end, f_->data_offset_) : std::nullopt;
        return CorruptError(f_->name_ + ": tensor '" + t.name + "' (" + GgmlTypeName(t.type) + " " +
                            ShapeText(t, t.n_dims) + ", " + std::to_string(t.n_bytes) +
                            " bytes at data offset " + std::to_string(t.offset) + ") ends at byte " +
                            (abs_end ? std::to_string(*abs_end) : std::string("beyond 2^64")) +
                            " but the file has " + std::to_string(f_->size_) +
                            " bytes (truncated download?)");
      }
      t.data = f_->data_ + f_->data_offset_ + t.offset;
    }
    // Overlap check: sort by offset, each tensor must start at or after the previous end.
    std::vector<size_t> order(f_->tensors_.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return f_->tensors_[a].offset < f_->tensors_[b].offset;
    });
    for (size_t k = 1; k < order.size(); ++k) {
      const GgufTensorInfo& prev = f_->tensors_[order[k - 1]];
      const GgufTensorInfo& cur = f_->tensors_[order[k]];
      const uint64_t prev_end = prev.offset + prev.n_bytes;  // checked above
      if (cur.offset < prev_end) {
        return CorruptError(f_->name_ + ": tensor '" + cur.name + "' at data offset " +
                            std::to_string(cur.offset) + " overlaps tensor '" + prev.name +
                            "' which spans data offsets " + std::to_string(prev.offset) + ".." +
                            std::to_string(prev_end) + " (corrupt file, or a badly written tensor table)");
      }
    }
    return Status::Ok();
  }

  GgufFile* f_;
  uint64_t pos_ = 0;
  uint64_t n_tensors_ = 0;
  uint64_t n_kv_ = 0;
};

Result<std::unique_ptr<GgufFile>> GgufFile::Parse(const uint8_t* data, uint64_t size,
                                                  const std::string& name) {
  std::unique_ptr<GgufFile> file(new GgufFile());
  file->data_ = data;
  file->size_ = data == nullptr ? 0 : size;
  file->name_ = name;
  GgufParser parser(file.get());
  EDGELM_RETURN_IF_ERROR(parser.Run());
  return file;
}

Result<std::unique_ptr<GgufFile>> GgufFile::Open(const std::string& path) {
  EDGELM_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> map, MappedFile::Open(path));
  EDGELM_ASSIGN_OR_RETURN(std::unique_ptr<GgufFile> file, Parse(map->data(), map->size(), path));
  file->map_ = std::move(map);
  return file;
}

const GgufKeyValue* GgufFile::FindKeyOrNull(std::string_view key) const {
  auto it = kv_index_.find(key);
  return it == kv_index_.end() ? nullptr : &kvs_[it->second];
}

const GgufTensorInfo* GgufFile::FindTensorOrNull(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

Result<const GgufTensorInfo*> GgufFile::GetTensor(std::string_view name) const {
  const GgufTensorInfo* t = FindTensorOrNull(name);
  if (t == nullptr) {
    return NotFoundError(name_ + ": tensor '" + std::string(name) + "' not found (the file has " +
                         std::to_string(tensors_.size()) +
                         " tensors; wrong architecture or an incomplete conversion?)");
  }
  return t;
}

}  // namespace edgelm
