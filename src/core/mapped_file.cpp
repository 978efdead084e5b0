#include "core/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace edgelm {

Result<std::unique_ptr<MappedFile>> MappedFile::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    Status st(err == ENOENT ? StatusCode::kNotFound
              : err == EACCES ? StatusCode::kPermissionDenied
                              : StatusCode::kIoError,
              "cannot open '" + path + "': " + ErrnoText(err));
    return st;
  }
  struct stat sb;
  if (::fstat(fd, &sb) != 0) {
    int err = errno;
    ::close(fd);
    return IoError("cannot stat '" + path + "': " + ErrnoText(err));
  }
  if (!S_ISREG(sb.st_mode)) {
    ::close(fd);
    return InvalidArgumentError("'" + path + "' is not a regular file");
  }
  std::unique_ptr<MappedFile> file(new MappedFile());
  file->path_ = path;
  file->size_ = static_cast<uint64_t>(sb.st_size);
  if (file->size_ > 0) {
    void* p = ::mmap(nullptr, file->size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      return IoError("cannot mmap '" + path + "' (" + std::to_string(file->size_) +
                     " bytes): " + ErrnoText(err));
    }
    file->data_ = static_cast<const uint8_t*>(p);
  }
  ::close(fd);  // the mapping keeps the file referenced
  return file;
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
}

void MappedFile::AdviseWillNeed(uint64_t offset, uint64_t len) const {
  if (data_ == nullptr || offset >= size_) return;
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  uint64_t start = offset & ~(page - 1);
  uint64_t end = offset + (len < size_ - offset ? len : size_ - offset);
  ::madvise(const_cast<uint8_t*>(data_) + start, end - start, MADV_WILLNEED);
}

void MappedFile::Prefault() const {
  if (data_ == nullptr) return;
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  volatile uint8_t sink = 0;
  for (uint64_t off = 0; off < size_; off += page) sink = sink + data_[off];
  (void)sink;
}

Status DropFileFromPageCache(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open '" + path + "' to drop its cached pages: " + ErrnoText(errno));
  int rc = ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
  if (rc != 0) return IoError("posix_fadvise(DONTNEED) on '" + path + "' failed: " + ErrnoText(rc));
  return Status::Ok();
}

Result<uint64_t> FileSizeBytes(const std::string& path) {
  struct stat sb;
  if (::stat(path.c_str(), &sb) != 0) {
    int err = errno;
    return Status(err == ENOENT ? StatusCode::kNotFound : StatusCode::kIoError,
                  "cannot stat '" + path + "': " + ErrnoText(err));
  }
  return static_cast<uint64_t>(sb.st_size);
}

}  // namespace edgelm
