#include "telemetry/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/clock.h"

extern char** environ;

namespace edgelm::telemetry {
namespace {

// Output beyond this from a one-shot command means it is not the tool we expect.
constexpr size_t kMaxCaptureBytes = 1 << 20;
// A streaming line longer than this is not a reading; it is dropped to bound memory.
constexpr size_t kMaxLineBytes = 64 * 1024;

std::string Join(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

// Spawns argv with stdout (and stderr when merge_stderr) on a pipe; returns the read end.
Status Spawn(const std::vector<std::string>& argv, bool merge_stderr, pid_t* pid, int* read_fd) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return IoError("pipe failed: " + ErrnoText(errno));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
  if (merge_stderr) posix_spawn_file_actions_adddup2(&fa, p[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // Its own process group, so that Terminate() also ends what a shell line started
  // (`while ...; do ...; sleep 1; done`) and nothing outlives the session.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  int rc = posix_spawnp(pid, args[0], &fa, &attr, args.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  close(p[1]);
  if (rc != 0) {
    close(p[0]);
    return NotFoundError("cannot run '" + Join(argv) + "': " + ErrnoText(rc));
  }
  *read_fd = p[0];
  return Status::Ok();
}

}  // namespace

bool ProgramExists(const std::string& program) {
  if (program.empty()) return false;
  if (program.find('/') != std::string::npos) return access(program.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t colon = dirs.find(':', start);
    if (colon == std::string::npos) colon = dirs.size();
    std::string dir = dirs.substr(start, colon - start);
    if (!dir.empty() && access((dir + "/" + program).c_str(), X_OK) == 0) return true;
    start = colon + 1;
  }
  return false;
}

Result<std::string> RunAndCapture(const std::vector<std::string>& argv, int timeout_ms) {
  if (argv.empty()) return InvalidArgumentError("RunAndCapture: empty command");
  pid_t pid;
  int fd;
  EDGELM_RETURN_IF_ERROR(Spawn(argv, /*merge_stderr=*/true, &pid, &fd));
  std::string out;
  const int64_t deadline = MonotonicNs() + int64_t(timeout_ms) * 1'000'000;
  bool timed_out = false, too_big = false;
  while (true) {
    int64_t left_ms = (deadline - MonotonicNs()) / 1'000'000;
    if (left_ms <= 0) {
      timed_out = true;
      break;
    }
    pollfd pfd{fd, POLLIN, 0};
    int n = poll(&pfd, 1, static_cast<int>(left_ms));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      timed_out = n == 0;
      break;
    }
    char buf[4096];
    ssize_t r = read(fd, buf, sizeof(buf));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    out.append(buf, static_cast<size_t>(r));
    if (out.size() > kMaxCaptureBytes) {
      too_big = true;
      break;
    }
  }
  close(fd);
  if (timed_out || too_big) kill(-pid, SIGKILL);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) return IoError("'" + Join(argv) + "' did not finish within " + std::to_string(timeout_ms) + " ms");
  if (too_big) return IoError("'" + Join(argv) + "' printed more than 1 MiB: not the expected tool?");
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    std::string first = out.substr(0, out.find('\n')).substr(0, 200);
    std::string how = WIFEXITED(wstatus) ? "exited with status " + std::to_string(WEXITSTATUS(wstatus))
                                         : "was killed by signal " + std::to_string(WTERMSIG(wstatus));
    if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 127) {
      return NotFoundError("'" + argv[0] + "' not found (exit status 127): " + first);
    }
    return IoError("'" + Join(argv) + "' " + how + (first.empty() ? "" : ": " + first));
  }
  return out;
}

LineStream::~LineStream() { Terminate(); }

Status LineStream::StartShell(const std::string& command) {
  EDGELM_RETURN_IF_ERROR(Start({"/bin/sh", "-c", command}));
  description_ = command;
  return Status::Ok();
}

Status LineStream::Start(const std::vector<std::string>& argv) {
  if (argv.empty()) return InvalidArgumentError("LineStream: empty command");
  Terminate();
  EDGELM_RETURN_IF_ERROR(Spawn(argv, /*merge_stderr=*/false, &pid_, &fd_));
  fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
  description_ = Join(argv);
  partial_.clear();
  pending_.clear();
  return Status::Ok();
}

Status LineStream::ReadLines(std::vector<std::string>* lines, bool* eof) {
  *eof = false;
  for (auto& l : pending_) lines->push_back(std::move(l));
  pending_.clear();
  if (fd_ < 0) {
    *eof = true;
    return Status::Ok();
  }
  char buf[4096];
  while (true) {
    ssize_t r = read(fd_, buf, sizeof(buf));
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return IoError("reading from '" + description_ + "': " + ErrnoText(errno));
    }
    if (r == 0) {
      *eof = true;
      break;
    }
    for (ssize_t k = 0; k < r; ++k) {
      if (buf[k] == '\n') {
        if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
        lines->push_back(std::move(partial_));
        partial_.clear();
      } else if (partial_.size() < kMaxLineBytes) {
        partial_.push_back(buf[k]);
      }
    }
  }
  return Status::Ok();
}

Result<std::string> LineStream::WaitLine(int timeout_ms) {
  const int64_t deadline = MonotonicNs() + int64_t(timeout_ms) * 1'000'000;
  while (true) {
    std::vector<std::string> lines;
    bool eof = false;
    EDGELM_RETURN_IF_ERROR(ReadLines(&lines, &eof));
    if (!lines.empty()) {
      std::string first = std::move(lines.front());
      pending_.assign(std::make_move_iterator(lines.begin() + 1), std::make_move_iterator(lines.end()));
      return first;
    }
    if (eof) return IoError("'" + description_ + "' ended without printing a line");
    int64_t left_ms = (deadline - MonotonicNs()) / 1'000'000;
    if (left_ms <= 0) {
      return IoError("'" + description_ + "' printed no line within " + std::to_string(timeout_ms) + " ms");
    }
    pollfd pfd{fd_, POLLIN, 0};
    poll(&pfd, 1, static_cast<int>(left_ms));
  }
}

void LineStream::Terminate() {
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  if (pid_ > 0) {
    kill(-pid_, SIGTERM);  // the child's own process group (see Spawn)
    int wstatus;
    const int64_t deadline = MonotonicNs() + 500'000'000;
    bool reaped = false;
    while (MonotonicNs() < deadline) {
      pid_t r = waitpid(pid_, &wstatus, WNOHANG);
      if (r == pid_ || (r < 0 && errno != EINTR)) {
        reaped = true;
        break;
      }
      usleep(5000);
    }
    if (!reaped) {
      kill(-pid_, SIGKILL);
      while (waitpid(pid_, &wstatus, 0) < 0 && errno == EINTR) {
      }
    }
    pid_ = -1;
  }
}

}  // namespace edgelm::telemetry
