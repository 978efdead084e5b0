// Reading sysfs/procfs files under a root directory, so that every source can be tested
// against a fixture tree and run on a machine image mounted elsewhere
// (`--sysfs-root DIR`, env EDGELM_SYSFS_ROOT, default "/").
//
// Errors keep errno's meaning: EACCES becomes kPermissionDenied (the caller adds the
// fix), a missing file kNotFound. A fault injector lets tests produce EACCES even when
// they run as root, where chmod 000 does not block reads.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace edgelm::telemetry {

// A sysfs attribute kept open for sampling: each read is one pread() from offset 0
// (sysfs regenerates the value for every read from the start), instead of
// open/read/close, which keeps the sampler's cost low at short intervals.
class PolledFile {
 public:
  PolledFile() = default;
  PolledFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PolledFile();
  PolledFile(PolledFile&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)) { o.fd_ = -1; }
  PolledFile& operator=(PolledFile&& o) noexcept;
  PolledFile(const PolledFile&) = delete;
  PolledFile& operator=(const PolledFile&) = delete;

  Result<int64_t> ReadInt64() const;
  Result<uint64_t> ReadUint64() const;
  const std::string& path() const { return path_; }

 private:
  Result<std::string> ReadSmall() const;
  int fd_ = -1;
  std::string path_;
};

class SysfsRoot {
 public:
  // `root` "" or "/" means the real file system.
  explicit SysfsRoot(std::string root = "/");
  // The root from --sysfs-root when given, else env EDGELM_SYSFS_ROOT, else "/".
  static SysfsRoot FromFlagOrEnv(const std::string& flag_value);

  const std::string& root() const { return root_; }
  // "/sys/class/powercap" -> "<root>/sys/class/powercap".
  std::string Resolve(const std::string& abs_path) const;

  bool Exists(const std::string& abs_path) const;
  bool IsDirectory(const std::string& abs_path) const;
  // Whole file (sysfs attributes are small; capped at 1 MiB for hostile trees).
  Result<std::string> ReadText(const std::string& abs_path) const;
  // First line without the trailing newline and surrounding blanks.
  Result<std::string> ReadLine(const std::string& abs_path) const;
  Result<int64_t> ReadInt64(const std::string& abs_path) const;
  Result<uint64_t> ReadUint64(const std::string& abs_path) const;
  // The first line when readable, else nullopt (for optional attributes like labels).
  std::optional<std::string> ReadLineOrNull(const std::string& abs_path) const;
  // Entries of a directory whose names start with `prefix`, sorted in natural order
  // (hwmon2 before hwmon10). Empty when the directory does not exist.
  std::vector<std::string> List(const std::string& abs_dir, const std::string& prefix = "") const;
  // Opens an attribute for repeated reads (the fault injector applies here).
  Result<PolledFile> OpenPolled(const std::string& abs_path) const;
  // Whether opening for reading succeeds (0) or the errno it fails with.
  int ReadableErrno(const std::string& abs_path) const;

  // Test seam: reads of paths for which this returns a non-zero errno fail with it.
  using FaultInjector = std::function<int(const std::string& abs_path)>;
  void SetFaultInjector(FaultInjector injector) { fault_ = std::move(injector); }

 private:
  std::string root_;
  FaultInjector fault_;
};

// Sorts names so embedded numbers compare by value ("cpu2" < "cpu10").
bool NaturalLess(const std::string& a, const std::string& b);
// Parses a whole decimal integer (blanks around allowed); nullopt on anything else.
std::optional<int64_t> ParseInt64(const std::string& text);
std::optional<double> ParseDouble(const std::string& text);
std::string Trim(const std::string& s);
std::vector<std::string> SplitLines(const std::string& text);

}  // namespace edgelm::telemetry
