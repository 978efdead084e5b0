#include "telemetry/sysfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cctype>
#include <cmath>
#include <cstring>

namespace edgelm::telemetry {
namespace {

// sysfs attributes are at most a page; /proc files a few KiB. A cap keeps a hostile
// fixture (a huge regular file) from exhausting memory.
constexpr size_t kMaxFileBytes = 1 << 20;

Status ErrnoStatus(int err, const std::string& what, const std::string& path) {
  std::string m = what + " '" + path + "': " + ErrnoText(err);
  switch (err) {
    case EACCES:
    case EPERM: return PermissionDeniedError(m);
    case ENOENT:
    case ENOTDIR: return NotFoundError(m);
    default: return IoError(m);
  }
}

}  // namespace

PolledFile::~PolledFile() {
  if (fd_ >= 0) close(fd_);
}

PolledFile& PolledFile::operator=(PolledFile&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) close(fd_);
    fd_ = o.fd_;
    path_ = std::move(o.path_);
    o.fd_ = -1;
  }
  return *this;
}

Result<std::string> PolledFile::ReadSmall() const {
  if (fd_ < 0) return InternalError("PolledFile read before open: " + path_);
  char buf[128];  // numeric attributes are at most ~22 bytes
  ssize_t n;
  do {
    n = pread(fd_, buf, sizeof(buf) - 1, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return ErrnoStatus(errno, "cannot read", path_);
  std::string text(buf, static_cast<size_t>(n));
  size_t nl = text.find('\n');
  if (nl != std::string::npos) text.resize(nl);
  return Trim(text);
}

Result<int64_t> PolledFile::ReadInt64() const {
  Result<std::string> line = ReadSmall();
  if (!line.ok()) return line.status();
  std::optional<int64_t> v = ParseInt64(*line);
  if (!v) return CorruptError("'" + path_ + "' holds '" + line->substr(0, 40) + "', expected a decimal integer");
  return *v;
}

Result<uint64_t> PolledFile::ReadUint64() const {
  Result<std::string> line = ReadSmall();
  if (!line.ok()) return line.status();
  const std::string& t = *line;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = t.empty() || t[0] == '-' ? 0 : std::strtoull(t.c_str(), &end, 10);
  if (t.empty() || t[0] == '-' || errno != 0 || end == t.c_str() || *end != '\0') {
    return CorruptError("'" + path_ + "' holds '" + t.substr(0, 40) + "', expected an unsigned decimal integer");
  }
  return static_cast<uint64_t>(v);
}

Result<PolledFile> SysfsRoot::OpenPolled(const std::string& abs_path) const {
  const std::string path = Resolve(abs_path);
  if (fault_) {
    int err = fault_(abs_path);
    if (err != 0) return ErrnoStatus(err, "cannot open", path);
  }
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "cannot open", path);
  return PolledFile(fd, path);
}

SysfsRoot::SysfsRoot(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  if (root_.empty()) root_ = "/";
}

SysfsRoot SysfsRoot::FromFlagOrEnv(const std::string& flag_value) {
  if (!flag_value.empty()) return SysfsRoot(flag_value);
  const char* env = std::getenv("EDGELM_SYSFS_ROOT");
  if (env != nullptr && env[0] != '\0') return SysfsRoot(env);
  return SysfsRoot("/");
}

std::string SysfsRoot::Resolve(const std::string& abs_path) const {
  if (root_ == "/") return abs_path;
  if (!abs_path.empty() && abs_path[0] == '/') return root_ + abs_path;
  return root_ + "/" + abs_path;
}

bool SysfsRoot::Exists(const std::string& abs_path) const {
  struct stat st;
  return stat(Resolve(abs_path).c_str(), &st) == 0;
}

bool SysfsRoot::IsDirectory(const std::string& abs_path) const {
  struct stat st;
  return stat(Resolve(abs_path).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

int SysfsRoot::ReadableErrno(const std::string& abs_path) const {
  if (fault_) {
    int err = fault_(abs_path);
    if (err != 0) return err;
  }
  int fd = open(Resolve(abs_path).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  // sysfs reports some permission failures only on read (e.g. RAPL behind a security
  // module), so try one read too.
  char c;
  ssize_t n = read(fd, &c, 1);
  int err = n < 0 ? errno : 0;
  close(fd);
  return err;
}

Result<std::string> SysfsRoot::ReadText(const std::string& abs_path) const {
  if (fault_) {
    int err = fault_(abs_path);
    if (err != 0) return ErrnoStatus(err, "cannot read", Resolve(abs_path));
  }
  const std::string path = Resolve(abs_path);
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "cannot open", path);
  std::string out;
  char buf[4096];
  while (true) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      close(fd);
      return ErrnoStatus(err, "cannot read", path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > kMaxFileBytes) {
      close(fd);
      return IoError("'" + path + "' is larger than " + std::to_string(kMaxFileBytes) +
                     " bytes: not a sysfs/procfs attribute (wrong --sysfs-root?)");
    }
  }
  close(fd);
  return out;
}

Result<std::string> SysfsRoot::ReadLine(const std::string& abs_path) const {
  EDGELM_ASSIGN_OR_RETURN(std::string text, ReadText(abs_path));
  size_t nl = text.find('\n');
  if (nl != std::string::npos) text.resize(nl);
  return Trim(text);
}

Result<int64_t> SysfsRoot::ReadInt64(const std::string& abs_path) const {
  EDGELM_ASSIGN_OR_RETURN(std::string line, ReadLine(abs_path));
  std::optional<int64_t> v = ParseInt64(line);
  if (!v) {
    return CorruptError("'" + Resolve(abs_path) + "' holds '" + line.substr(0, 40) +
                        "', expected a decimal integer (not a sysfs attribute?)");
  }
  return *v;
}

Result<uint64_t> SysfsRoot::ReadUint64(const std::string& abs_path) const {
  Result<std::string> read = ReadLine(abs_path);
  if (!read.ok()) return read.status();
  const std::string& line = *read;
  if (line.empty() || line[0] == '-' || line.size() > 20) {
    return CorruptError("'" + Resolve(abs_path) + "' holds '" + line.substr(0, 40) +
                        "', expected an unsigned decimal integer");
  }
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(line.c_str(), &end, 10);
  if (errno != 0 || end == line.c_str() || *end != '\0') {
    return CorruptError("'" + Resolve(abs_path) + "' holds '" + line.substr(0, 40) +
                        "', expected an unsigned decimal integer that fits 64 bits");
  }
  return static_cast<uint64_t>(v);
}

std::optional<std::string> SysfsRoot::ReadLineOrNull(const std::string& abs_path) const {
  Result<std::string> r = ReadLine(abs_path);
  if (!r.ok()) return std::nullopt;
  return *r;
}

std::vector<std::string> SysfsRoot::List(const std::string& abs_dir,
                                         const std::string& prefix) const {
  std::vector<std::string> names;
  DIR* d = opendir(Resolve(abs_dir).c_str());
  if (d == nullptr) return names;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (name.compare(0, prefix.size(), prefix) == 0) names.push_back(name);
  }
  closedir(d);
  std::sort(names.begin(), names.end(), NaturalLess);
  return names;
}

bool NaturalLess(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) &&
        std::isdigit(static_cast<unsigned char>(b[j]))) {
      size_t i2 = i, j2 = j;
      while (i2 < a.size() && std::isdigit(static_cast<unsigned char>(a[i2]))) ++i2;
      while (j2 < b.size() && std::isdigit(static_cast<unsigned char>(b[j2]))) ++j2;
      // Compare by length after stripping leading zeros, then lexicographically.
      std::string na = a.substr(i, i2 - i), nb = b.substr(j, j2 - j);
      na.erase(0, std::min(na.find_first_not_of('0'), na.size()));
      nb.erase(0, std::min(nb.find_first_not_of('0'), nb.size()));
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = i2;
      j = j2;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::optional<int64_t> ParseInt64(const std::string& text) {
  std::string t = Trim(text);
  if (t.empty() || t.size() > 20) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(t.c_str(), &end, 10);
  if (errno != 0 || end == t.c_str() || *end != '\0') return std::nullopt;
  return static_cast<int64_t>(v);
}

std::optional<double> ParseDouble(const std::string& text) {
  std::string t = Trim(text);
  if (t.empty() || t.size() > 64) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  if (errno != 0 || end == t.c_str() || *end != '\0' || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    std::string line = text.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    start = nl + 1;
  }
  return lines;
}

}  // namespace edgelm::telemetry
