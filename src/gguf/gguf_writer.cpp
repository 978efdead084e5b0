#include "gguf/gguf_writer.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>

#include "core/checked_math.h"

namespace edgelm {

static_assert(std::endian::native == std::endian::little,
              "the GGUF writer emits host-order values and assumes a little-endian host");

namespace {

constexpr uint32_t kGgufMagic = 0x46554747;
// ggml's GGML_MAX_NAME is 64 including the NUL: longer names do not load in llama.cpp.
constexpr size_t kMaxTensorNameBytes = 63;
// 1 MiB stdio buffer: tensor data arrives in row-sized pieces, often a few KiB.
constexpr size_t kFileBufferBytes = 1 << 20;

template <typename T>
void Put(std::string* s, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  s->append(b, sizeof(T));
}

void PutString(std::string* s, std::string_view v) {
  Put<uint64_t>(s, v.size());
  s->append(v.data(), v.size());
}

template <typename T>
std::string Scalar(T v) {
  std::string s;
  Put(&s, v);
  return s;
}

}  // namespace

GgufWriter::~GgufWriter() {
  if (file_ != nullptr) {
    std::fclose(file_);
    // A partial file would look like a truncated model later: remove it.
    if (state_ != State::kFinished) std::remove(partial_path_.c_str());
  }
}

Status GgufWriter::SetVersion(uint32_t version) {
  if (version != 2 && version != 3) {
    return InvalidArgumentError("GGUF writer: version " + std::to_string(version) +
                                " requested, expected 2 or 3");
  }
  version_ = version;
  return Status::Ok();
}

void GgufWriter::Set(std::string_view key, GgufValueType type, std::string payload) {
  EDGELM_CHECK_MSG(state_ == State::kDeclaring, "GgufWriter: metadata set after Begin()");
  for (auto& e : kvs_) {
    if (e.key == key) {
      e.type = type;
      e.payload = std::move(payload);
      return;
    }
  }
  kvs_.push_back({std::string(key), type, std::move(payload)});
}

void GgufWriter::SetU8(std::string_view k, uint8_t v) { Set(k, GgufValueType::kU8, Scalar(v)); }
void GgufWriter::SetI8(std::string_view k, int8_t v) { Set(k, GgufValueType::kI8, Scalar(v)); }
void GgufWriter::SetU16(std::string_view k, uint16_t v) { Set(k, GgufValueType::kU16, Scalar(v)); }
void GgufWriter::SetI16(std::string_view k, int16_t v) { Set(k, GgufValueType::kI16, Scalar(v)); }
void GgufWriter::SetU32(std::string_view k, uint32_t v) { Set(k, GgufValueType::kU32, Scalar(v)); }
void GgufWriter::SetI32(std::string_view k, int32_t v) { Set(k, GgufValueType::kI32, Scalar(v)); }
void GgufWriter::SetF32(std::string_view k, float v) { Set(k, GgufValueType::kF32, Scalar(v)); }
void GgufWriter::SetBool(std::string_view k, bool v) {
  Set(k, GgufValueType::kBool, Scalar<uint8_t>(v ? 1 : 0));
}
void GgufWriter::SetU64(std::string_view k, uint64_t v) { Set(k, GgufValueType::kU64, Scalar(v)); }
void GgufWriter::SetI64(std::string_view k, int64_t v) { Set(k, GgufValueType::kI64, Scalar(v)); }
void GgufWriter::SetF64(std::string_view k, double v) { Set(k, GgufValueType::kF64, Scalar(v)); }
void GgufWriter::SetString(std::string_view k, std::string_view v) {
  std::string p;
  PutString(&p, v);
  Set(k, GgufValueType::kString, std::move(p));
}

Status GgufWriter::SetArray(std::string_view key, GgufValueType element_type, const void* data,
                            uint64_t count) {
  const uint64_t elem = GgufValueTypeSize(element_type);
  if (elem == 0) {
    return InvalidArgumentError("GGUF writer: key '" + std::string(key) + "': SetArray takes numeric or bool "
                                "elements, found element type " + GgufValueTypeName(element_type) +
                                " (use SetStringArray for strings; nested arrays are not supported)");
  }
  const auto bytes = CheckedMul(count, elem);
  if (!bytes) {
    return InvalidArgumentError("GGUF writer: key '" + std::string(key) + "': array of " +
                                std::to_string(count) + " elements overflows");
  }
  if (element_type == GgufValueType::kBool) {
    const auto* b = static_cast<const uint8_t*>(data);
    for (uint64_t i = 0; i < count; ++i) {
      if (b[i] > 1) {
        return InvalidArgumentError("GGUF writer: key '" + std::string(key) + "'[" + std::to_string(i) +
                                    "]: bool must be 0 or 1, found " + std::to_string(b[i]));
      }
    }
  }
  std::string p;
  Put<uint32_t>(&p, static_cast<uint32_t>(element_type));
  Put<uint64_t>(&p, count);
  if (*bytes) p.append(static_cast<const char*>(data), *bytes);
  Set(key, GgufValueType::kArray, std::move(p));
  return Status::Ok();
}

namespace {
template <typename S>
std::string StringArrayPayload(const S& values) {
  std::string p;
  Put<uint32_t>(&p, static_cast<uint32_t>(GgufValueType::kString));
  Put<uint64_t>(&p, values.size());
  for (const auto& v : values) PutString(&p, v);
  return p;
}
}  // namespace

void GgufWriter::SetStringArray(std::string_view key, std::span<const std::string> values) {
  Set(key, GgufValueType::kArray, StringArrayPayload(values));
}
void GgufWriter::SetStringArray(std::string_view key, std::span<const std::string_view> values) {
  Set(key, GgufValueType::kArray, StringArrayPayload(values));
}
void GgufWriter::SetI32Array(std::string_view key, std::span<const int32_t> v) {
  EDGELM_CHECK(SetArray(key, GgufValueType::kI32, v.data(), v.size()).ok());
}
void GgufWriter::SetU32Array(std::string_view key, std::span<const uint32_t> v) {
  EDGELM_CHECK(SetArray(key, GgufValueType::kU32, v.data(), v.size()).ok());
}
void GgufWriter::SetF32Array(std::string_view key, std::span<const float> v) {
  EDGELM_CHECK(SetArray(key, GgufValueType::kF32, v.data(), v.size()).ok());
}

void GgufWriter::CopyKeyValue(const GgufKeyValue& kv) {
  if (kv.type == GgufValueType::kArray) {
    const GgufArray& a = kv.array;
    if (a.element_type == GgufValueType::kString) {
      SetStringArray(kv.key, std::span<const std::string_view>(a.strings));
    } else {
      // The reader validated element type, count and bytes: SetArray cannot fail here.
      EDGELM_CHECK(SetArray(kv.key, a.element_type, a.data, a.count).ok());
    }
    return;
  }
  std::string p;
  std::visit(
      [&p](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string_view>) PutString(&p, x);
        else if constexpr (std::is_same_v<T, bool>) Put<uint8_t>(&p, x ? 1 : 0);
        else Put<T>(&p, x);
      },
      kv.scalar);
  Set(kv.key, kv.type, std::move(p));
}

bool GgufWriter::HasKey(std::string_view key) const {
  return std::any_of(kvs_.begin(), kvs_.end(), [&](const Entry& e) { return e.key == key; });
}

void GgufWriter::RemoveKey(std::string_view key) {
  EDGELM_CHECK_MSG(state_ == State::kDeclaring, "GgufWriter: metadata removed after Begin()");
  std::erase_if(kvs_, [&](const Entry& e) { return e.key == key; });
}

Status GgufWriter::AddTensor(std::string_view name, GgmlType type, std::span<const int64_t> ne) {
  EDGELM_CHECK_MSG(state_ == State::kDeclaring, "GgufWriter: tensor added after Begin()");
  const std::string where = "GGUF writer: tensor '" + std::string(name) + "'";
  if (name.empty() || name.size() > kMaxTensorNameBytes) {
    return InvalidArgumentError(where + ": name has " + std::to_string(name.size()) +
                                " bytes, expected 1.." + std::to_string(kMaxTensorNameBytes) +
                                " (ggml's limit)");
  }
  for (const auto& t : tensors_) {
    if (t.name == name) return InvalidArgumentError(where + ": declared twice");
  }
  const GgmlTypeInfo* info = FindGgmlTypeInfo(type);
  if (info == nullptr) {
    return InvalidArgumentError(where + ": unknown ggml type id " + std::to_string(static_cast<uint32_t>(type)));
  }
  if (ne.empty() || ne.size() > 4) {
    return InvalidArgumentError(where + ": " + std::to_string(ne.size()) + " dims, expected 1..4");
  }
  Tensor t{};
  t.name = std::string(name);
  t.type = type;
  t.n_dims = static_cast<uint32_t>(ne.size());
  uint64_t n_elements = 1;
  for (size_t d = 0; d < 4; ++d) t.ne[d] = 1;
  for (size_t d = 0; d < ne.size(); ++d) {
    if (ne[d] <= 0) {
      return InvalidArgumentError(where + ": ne[" + std::to_string(d) + "] = " + std::to_string(ne[d]) +
                                  ", expected > 0");
    }
    t.ne[d] = ne[d];
    const auto p = CheckedMul(n_elements, static_cast<uint64_t>(ne[d]));
    if (!p || *p > static_cast<uint64_t>(INT64_MAX)) {
      return InvalidArgumentError(where + ": element count overflows 2^63");
    }
    n_elements = *p;
  }
  const auto row = GgmlRowBytes(type, static_cast<uint64_t>(ne[0]));
  if (!row) {
    return InvalidArgumentError(where + ": row length ne[0] = " + std::to_string(ne[0]) +
                                " is not a multiple of the " + info->name + " block size " +
                                std::to_string(info->block_size));
  }
  const auto bytes = CheckedMul(*row, n_elements / static_cast<uint64_t>(ne[0]));
  if (!bytes) return InvalidArgumentError(where + ": byte size overflows 2^64");
  t.n_bytes = *bytes;
  tensors_.push_back(std::move(t));
  return Status::Ok();
}

Status GgufWriter::Layout(std::string* head) {
  alignment_ = 32;
  for (const auto& e : kvs_) {
    if (e.key != "general.alignment") continue;
    if (e.type != GgufValueType::kU32) {
      return InvalidArgumentError(std::string("GGUF writer: general.alignment has type ") +
                                  GgufValueTypeName(e.type) + ", expected u32");
    }
    uint32_t a;
    std::memcpy(&a, e.payload.data(), 4);
    if (!IsPowerOfTwo(a)) {
      return InvalidArgumentError("GGUF writer: general.alignment = " + std::to_string(a) +
                                  ", expected a power of two");
    }
    alignment_ = a;
  }
  Put<uint32_t>(head, kGgufMagic);
  Put<uint32_t>(head, version_);
  Put<uint64_t>(head, tensors_.size());
  Put<uint64_t>(head, kvs_.size());
  for (const auto& e : kvs_) {
    PutString(head, e.key);
    Put<uint32_t>(head, static_cast<uint32_t>(e.type));
    head->append(e.payload);
  }
  uint64_t offset = 0;
  for (auto& t : tensors_) {
    t.offset = offset;
    const auto end = CheckedAdd(offset, t.n_bytes);
    const auto next = end ? CheckedAlignUp(*end, alignment_) : std::nullopt;
    if (!next) return InvalidArgumentError("GGUF writer: total tensor data overflows 2^64");
    offset = *next;
    PutString(head, t.name);
    Put<uint32_t>(head, t.n_dims);
    for (uint32_t d = 0; d < t.n_dims; ++d) Put<uint64_t>(head, static_cast<uint64_t>(t.ne[d]));
    Put<uint32_t>(head, static_cast<uint32_t>(t.type));
    Put<uint64_t>(head, t.offset);
  }
  data_offset_ = *CheckedAlignUp(head->size(), alignment_);
  const auto total = CheckedAdd(data_offset_, offset);
  if (!total) return InvalidArgumentError("GGUF writer: file size overflows 2^64");
  file_size_ = *total;
  return Status::Ok();
}

Status GgufWriter::Emit(const void* data, uint64_t n) {
  if (n == 0) return Status::Ok();
  if (memory_ != nullptr) {
    const auto* p = static_cast<const uint8_t*>(data);
    memory_->insert(memory_->end(), p, p + n);
  } else if (std::fwrite(data, 1, n, file_) != n) {
    const int err = errno;
    state_ = State::kFailed;
    const std::string msg = "writing '" + path_ + "' at byte " + std::to_string(written_) + " failed: " +
                            ErrnoText(err);
    return err == ENOSPC ? ResourceExhaustedError(msg + " (disk full?)") : IoError(msg);
  }
  written_ += n;
  return Status::Ok();
}

Status GgufWriter::EmitPadding(uint64_t n) {
  static const uint8_t kZeros[256] = {};
  while (n > 0) {
    const uint64_t k = std::min<uint64_t>(n, sizeof(kZeros));
    EDGELM_RETURN_IF_ERROR(Emit(kZeros, k));
    n -= k;
  }
  return Status::Ok();
}

Status GgufWriter::Begin(const std::string& path) {
  EDGELM_CHECK_MSG(state_ == State::kDeclaring, "GgufWriter::Begin called twice");
  std::string head;
  EDGELM_RETURN_IF_ERROR(Layout(&head));
  // The data goes to PATH.partial and is renamed to PATH by Finish(): a process killed
  // mid-write (Ctrl-C, OOM) leaves a file whose name says it is incomplete instead of a
  // truncated model under the final name, which a cache would take for a finished one.
  partial_path_ = path + ".partial";
  file_ = std::fopen(partial_path_.c_str(), "wb");
  if (file_ == nullptr) {
    const int err = errno;
    return Status(err == ENOENT ? StatusCode::kNotFound
                  : err == EACCES ? StatusCode::kPermissionDenied : StatusCode::kIoError,
                  "cannot create '" + partial_path_ + "': " + ErrnoText(err));
  }
  path_ = path;
  std::setvbuf(file_, nullptr, _IOFBF, kFileBufferBytes);
  state_ = State::kWriting;
  EDGELM_RETURN_IF_ERROR(Emit(head.data(), head.size()));
  return EmitPadding(data_offset_ - head.size());
}

Status GgufWriter::BeginInMemory(std::vector<uint8_t>* out) {
  EDGELM_CHECK_MSG(state_ == State::kDeclaring, "GgufWriter::Begin called twice");
  EDGELM_CHECK(out != nullptr);
  std::string head;
  EDGELM_RETURN_IF_ERROR(Layout(&head));
  memory_ = out;
  memory_->clear();
  path_ = "<memory>";
  state_ = State::kWriting;
  EDGELM_RETURN_IF_ERROR(Emit(head.data(), head.size()));
  return EmitPadding(data_offset_ - head.size());
}

std::string GgufWriter::NextTensorName() const {
  return current_ < tensors_.size() ? tensors_[current_].name : std::string();
}

Status GgufWriter::Write(const void* data, uint64_t n_bytes) {
  EDGELM_CHECK_MSG(state_ == State::kWriting, "GgufWriter::Write outside Begin()..Finish()");
  if (n_bytes == 0) return Status::Ok();
  if (current_ >= tensors_.size()) {
    return InvalidArgumentError("GGUF writer '" + path_ + "': " + std::to_string(n_bytes) +
                                " bytes written after all " + std::to_string(tensors_.size()) +
                                " tensors were complete");
  }
  const Tensor& t = tensors_[current_];
  if (n_bytes > t.n_bytes - current_done_) {
    return InvalidArgumentError("GGUF writer '" + path_ + "': writing " + std::to_string(n_bytes) +
                                " bytes runs past the end of tensor '" + t.name + "' (" +
                                std::to_string(current_done_) + " of " + std::to_string(t.n_bytes) +
                                " bytes written)");
  }
  EDGELM_RETURN_IF_ERROR(Emit(data, n_bytes));
  current_done_ += n_bytes;
  if (current_done_ == t.n_bytes) {
    const uint64_t padded = *CheckedAlignUp(t.n_bytes, alignment_);  // checked in Layout
    EDGELM_RETURN_IF_ERROR(EmitPadding(padded - t.n_bytes));
    ++current_;
    current_done_ = 0;
  }
  return Status::Ok();
}

Status GgufWriter::WriteTensor(std::string_view name, const void* data, uint64_t n_bytes) {
  EDGELM_CHECK_MSG(state_ == State::kWriting, "GgufWriter::WriteTensor outside Begin()..Finish()");
  if (current_ >= tensors_.size() || tensors_[current_].name != name || current_done_ != 0) {
    return InvalidArgumentError("GGUF writer '" + path_ + "': tensor '" + std::string(name) +
                                "' written out of order (expected the start of '" + NextTensorName() +
                                "'; tensors are written in declaration order)");
  }
  if (n_bytes != tensors_[current_].n_bytes) {
    return InvalidArgumentError("GGUF writer '" + path_ + "': tensor '" + std::string(name) + "' has " +
                                std::to_string(tensors_[current_].n_bytes) + " bytes, " +
                                std::to_string(n_bytes) + " given");
  }
  return Write(data, n_bytes);
}

Status GgufWriter::Finish() {
  EDGELM_CHECK_MSG(state_ == State::kWriting, "GgufWriter::Finish outside Begin()");
  if (current_ < tensors_.size()) {
    return InvalidArgumentError("GGUF writer '" + path_ + "': finished with tensor '" +
                                tensors_[current_].name + "' incomplete (" +
                                std::to_string(current_done_) + " of " +
                                std::to_string(tensors_[current_].n_bytes) + " bytes written; " +
                                std::to_string(tensors_.size() - current_) + " tensors left)");
  }
  EDGELM_CHECK(written_ == file_size_);
  if (file_ != nullptr) {
    const bool flush_ok = std::fflush(file_) == 0;
    const int err = errno;
    const bool close_ok = std::fclose(file_) == 0;
    file_ = nullptr;
    if (!flush_ok || !close_ok) {
      std::remove(partial_path_.c_str());
      state_ = State::kFailed;
      const std::string msg = "closing '" + partial_path_ + "' failed: " + ErrnoText(err);
      return err == ENOSPC ? ResourceExhaustedError(msg + " (disk full?)") : IoError(msg);
    }
    if (std::rename(partial_path_.c_str(), path_.c_str()) != 0) {
      const int rename_err = errno;
      std::remove(partial_path_.c_str());
      state_ = State::kFailed;
      return IoError("renaming '" + partial_path_ + "' to '" + path_ + "' failed: " + ErrnoText(rename_err));
    }
  }
  state_ = State::kFinished;
  return Status::Ok();
}

}  // namespace edgelm
