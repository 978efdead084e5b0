// Read-only memory map of a file: model weights are used in place from the map, so
// resident memory is what the model touches, and nothing is copied.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"

namespace edgelm {

class MappedFile {
 public:
  // Maps the whole file read-only. An empty file maps to size 0 with data() == nullptr.
  static Result<std::unique_ptr<MappedFile>> Open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }

  // Asks the kernel to read [offset, offset+len) ahead (MADV_WILLNEED); advisory only.
  void AdviseWillNeed(uint64_t offset, uint64_t len) const;
  // Touches every page so the weights are resident (for "load = ready to prefill").
  void Prefault() const;

 private:
  MappedFile() = default;
  std::string path_;
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
};

// Drops the file's pages from the page cache (posix_fadvise DONTNEED) so that the next
// load is cold. Works without root for clean pages; returns an error when it could not.
Status DropFileFromPageCache(const std::string& path);

// File size in bytes, or an error naming the path.
Result<uint64_t> FileSizeBytes(const std::string& path);

}  // namespace edgelm
