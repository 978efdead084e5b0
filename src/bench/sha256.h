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

// Hashing a model file costs about a second per 300 MB, every bench invocation, so
// digests are cached by file identity: an entry is used only while the file's absolute
// path, size, mtime_ns, ctime_ns, inode and device all still match (ctime also changes
// when content is rewritten in place with a restored mtime, which the kernel does not let
// a user fake).
struct FileDigest {
  std::string sha256;       // 64 lowercase hex characters
  bool from_cache = false;  // true when no byte of the file was read
};

// The digest of `path`, from the cache file `cache_file` when an entry matches, else
// computed and stored there (written to a temporary file and renamed, so concurrent
// runs never see half a cache). An absent, unreadable, corrupt or unwritable cache costs
// only the recomputation; errors are those of reading `path`. An empty `cache_file`
// disables the cache.
Result<FileDigest> Sha256FileCached(const std::string& path, const std::string& cache_file);

// $XDG_CACHE_HOME/edgelm/sha256-cache.tsv, else $HOME/.cache/edgelm/sha256-cache.tsv
// (the directory the study layer uses for models); empty when neither is set.
std::string DefaultDigestCachePath();

}  // namespace edgelm::bench
