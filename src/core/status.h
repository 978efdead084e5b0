// Status and Result<T>: how every layer reports bad input and environment failures.
//
// Goals: an error says what, where, expected vs found and the likely cause, in one
// message that reaches the user unchanged. Non-goals: error codes rich enough to
// branch on in detail; callers branch on the coarse StatusCode only.
// Programming errors (broken invariants) use EDGELM_CHECK instead, which aborts.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace edgelm {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // the caller passed something wrong (flag, token id, size)
  kNotFound,           // a file, key, tensor or sensor does not exist
  kCorrupt,            // a file is malformed or truncated
  kUnsupported,        // well-formed but not handled (architecture, weight type)
  kIoError,            // the operating system refused (open, read, mmap, write)
  kOutOfRange,         // a position or size exceeds a configured limit (context full)
  kResourceExhausted,  // not enough memory or disk
  kPermissionDenied,   // readable only with privileges (RAPL, perf counters)
  kCancelled,          // interrupted by the user (Ctrl-C)
  kInternal,           // a bug: should not happen
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "corrupt: tensor 'x' ends at byte ..." — the form printed to users.
  std::string ToString() const;
  // Adds context in front of the message: "loading model.gguf: <message>".
  Status WithContext(const std::string& context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgumentError(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFoundError(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status CorruptError(std::string m) { return {StatusCode::kCorrupt, std::move(m)}; }
inline Status UnsupportedError(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
inline Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
inline Status OutOfRangeError(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
inline Status ResourceExhaustedError(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
inline Status PermissionDeniedError(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
inline Status CancelledError(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
inline Status InternalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// errno as text, for messages about failed system calls.
std::string ErrnoText(int err);

[[noreturn]] void CheckFailed(const char* file, int line, const char* expr, const std::string& msg);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    if (std::get<Status>(v_).ok()) CheckFailed(__FILE__, __LINE__, "!status.ok()", "Result from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & { CheckOk(); return std::get<T>(v_); }
  const T& value() const& { CheckOk(); return std::get<T>(v_); }
  T&& value() && { CheckOk(); return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T value_or(T fallback) const { return ok() ? std::get<T>(v_) : fallback; }

 private:
  void CheckOk() const {
    if (!ok()) CheckFailed(__FILE__, __LINE__, "ok()", "value() on error: " + std::get<Status>(v_).ToString());
  }
  std::variant<T, Status> v_;
};

}  // namespace edgelm

#define EDGELM_CONCAT_INNER(a, b) a##b
#define EDGELM_CONCAT(a, b) EDGELM_CONCAT_INNER(a, b)

// Always on, also in release builds: a broken invariant must stop, not compute garbage.
#define EDGELM_CHECK(cond)                                                        \
  do {                                                                            \
    if (!(cond)) ::edgelm::CheckFailed(__FILE__, __LINE__, #cond, std::string()); \
  } while (0)
#define EDGELM_CHECK_MSG(cond, msg)                                   \
  do {                                                                \
    if (!(cond)) ::edgelm::CheckFailed(__FILE__, __LINE__, #cond, msg); \
  } while (0)

#define EDGELM_RETURN_IF_ERROR(expr)                   \
  do {                                                 \
    ::edgelm::Status edgelm_status_ = (expr);          \
    if (!edgelm_status_.ok()) return edgelm_status_;   \
  } while (0)

#define EDGELM_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()

// EDGELM_ASSIGN_OR_RETURN(auto file, MappedFile::Open(path));
#define EDGELM_ASSIGN_OR_RETURN(lhs, expr) \
  EDGELM_ASSIGN_OR_RETURN_IMPL(EDGELM_CONCAT(edgelm_result_, __LINE__), lhs, expr)
