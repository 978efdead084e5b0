// Child processes for command-based sources (vcgencmd, tegrastats, an external meter's
// command): run once and capture, or stream lines as they arrive.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace edgelm::telemetry {

// Runs argv[0] (searched in PATH) with its arguments, waits at most `timeout_ms`, and
// returns its stdout. Fails when it cannot start, times out (the child is killed), or
// exits non-zero (the message includes the first line of its stderr/stdout).
Result<std::string> RunAndCapture(const std::vector<std::string>& argv, int timeout_ms);

// Whether `program` names an executable: a path, or a name found in PATH.
bool ProgramExists(const std::string& program);

// A child whose stdout is read line by line without blocking.
class LineStream {
 public:
  LineStream() = default;
  ~LineStream();
  LineStream(const LineStream&) = delete;
  LineStream& operator=(const LineStream&) = delete;

  // Starts `/bin/sh -c command` (a shell line, so users can pipe and quote).
  Status StartShell(const std::string& command);
  Status Start(const std::vector<std::string>& argv);
  // Complete lines available now (non-blocking). Sets *eof when the child closed
  // stdout. A partial last line waits for its newline.
  Status ReadLines(std::vector<std::string>* lines, bool* eof);
  // Waits up to timeout_ms for one complete line.
  Result<std::string> WaitLine(int timeout_ms);
  // SIGTERM, then SIGKILL after 500 ms; reaps the child. Idempotent.
  void Terminate();
  int fd() const { return fd_; }
  pid_t pid() const { return pid_; }
  const std::string& description() const { return description_; }

 private:
  int fd_ = -1;
  pid_t pid_ = -1;
  std::string partial_;
  std::string description_;
  std::vector<std::string> pending_;
};

}  // namespace edgelm::telemetry
