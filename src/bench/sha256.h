// SHA-256 (FIPS 180-4), streaming, so a multi-gigabyte model file is hashed in fixed
// memory: the run context identifies the exact model bytes that were measured.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace edgelm::bench {

class Sha256 {
 public:
  Sha256();
  void Update(const void* data, size_t len);
  void Update(std::string_view s) { Update(s.data(), s.size()); }
  // The digest as 64 lowercase hex characters. The object is spent afterwards.
  std::string FinishHex();

 private:
  void Compress(const uint8_t* block);
  std::array<uint32_t, 8> h_;
  std::array<uint8_t, 64> buffer_;
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

// Hex SHA-256 of a file's contents, read in 1 MiB chunks.
Result<std::string> Sha256File(const std::string& path);

}  // namespace edgelm::bench
