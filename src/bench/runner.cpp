#include "bench/runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include <nlohmann/json.hpp>

#include "bench/system_probe.h"
#include "core/clock.h"
#include "core/mapped_file.h"

namespace edgelm::bench {

struct Runner::Loaded {
  std::string path;
  std::unique_ptr<BenchModel> model;
  std::optional<double> cold_ms, warm_ms;
  std::string note;
  std::optional<uint64_t> rss_after_load_bytes;
};

namespace {

std::string Clock(double seconds) {
  if (seconds < 0) return "?";
  const long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  return buf;
}

// Load time: the backend's own figure when it has one, else the wall clock around Load.
double LoadMs(const BenchModel& model, int64_t start_ns, int64_t end_ns) {
  return model.load_ms().value_or(static_cast<double>(end_ns - start_ns) / 1e6);
}

}  // namespace

void InterruptibleSleep(double seconds, const std::atomic<bool>* interrupt) {
  const int64_t end_ns = MonotonicNs() + static_cast<int64_t>(seconds * 1e9);
  while (MonotonicNs() < end_ns) {
    if (interrupt && interrupt->load()) return;
    const int64_t left_ns = end_ns - MonotonicNs();
    // 20 ms slices: Ctrl-C is noticed quickly without busy waiting.
    std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<int64_t>(left_ns, 20000000)));
  }
}

Runner::Runner(BenchTarget& target, RunnerOptions options) : target_(target), options_(std::move(options)) {}
Runner::~Runner() = default;

void Runner::Warn(const std::string& message) {
  if (options_.warn) options_.warn(message);
  else std::fprintf(stderr, "edgelm: warning: %s\n", message.c_str());
}

void Runner::Progress(const BenchConfig& config, int rep) {
  if (!options_.progress) return;
  const double elapsed_s = static_cast<double>(MonotonicNs() - progress_start_ns_) / 1e9;
  const double eta_s = progress_done_ > 0 ? elapsed_s / progress_done_ * (progress_total_ - progress_done_) : -1;
  std::fprintf(stderr, "\r\033[K[%d/%d] %s t=%d %s rep %d/%d | elapsed %s | ETA %s", progress_done_ + 1,
               progress_total_, config.TestName().c_str(), config.n_threads, config.model_path.c_str(), rep,
               config.repetitions, Clock(elapsed_s).c_str(), Clock(eta_s).c_str());
  std::fflush(stderr);
}

Status Runner::EnsureModel(const std::string& path, ConfigRecord& record) {
  if (!loaded_ || loaded_->path != path) {
    loaded_.reset();  // free the previous model before measuring the next
    auto file_bytes = FileSizeBytes(path);
    auto available = ReadMemInfoBytes("MemAvailable");
    if (file_bytes.ok() && available && *file_bytes > *available) {
      Warn("model '" + path + "' is " + std::to_string(*file_bytes) + " bytes but only " + std::to_string(*available) +
           " bytes are available (MemAvailable): it will not fit in memory and will page from disk");
    }
    auto loaded = std::make_unique<Loaded>();
    loaded->path = path;
    if (options_.cold_load && target_.loads_local_files()) {
      Status dropped = DropFileFromPageCache(path);
      if (dropped.ok()) {
        const int64_t t0 = MonotonicNs();
        EDGELM_ASSIGN_OR_RETURN(auto cold, target_.Load(path));
        loaded->cold_ms = LoadMs(*cold, t0, MonotonicNs());
      } else {
        loaded->note = "no cold load: " + dropped.message();
      }
    } else {
      loaded->note = options_.cold_load ? "no cold load: the backend does not load local files" : "cold load not requested";
    }
    const int64_t t0 = MonotonicNs();
    EDGELM_ASSIGN_OR_RETURN(loaded->model, target_.Load(path));
    loaded->warm_ms = LoadMs(*loaded->model, t0, MonotonicNs());
    loaded->rss_after_load_bytes = ReadProcStatusBytes("VmRSS");
    loaded_ = std::move(loaded);
  }
  record.load_cold_ms = loaded_->cold_ms;
  record.load_warm_ms = loaded_->warm_ms;
  record.load_note = loaded_->note;
  record.rss_after_load_bytes = loaded_->rss_after_load_bytes;
  const TargetModelInfo& info = loaded_->model->info();
  record.model_filename = info.filename;
  record.model_type = info.type;
  record.model_size = info.size_bytes;
  record.model_n_params = info.n_params;
  return Status::Ok();
}

Status Runner::RunRepetition(BenchSession& session, const BenchConfig& c, bool measured, ConfigRecord& r) {
  EDGELM_RETURN_IF_ERROR(session.Reset());
  if (c.n_depth > 0) EDGELM_RETURN_IF_ERROR(session.Prefill(c.n_depth).status());
  int64_t ns = 0;
  uint32_t tokens = c.n_prompt + c.n_gen;
  switch (c.kind) {
    case TestKind::kPrompt: {
      EDGELM_ASSIGN_OR_RETURN(TimedSpan span, session.Prefill(c.n_prompt));
      ns = span.ns();
      break;
    }
    case TestKind::kGen: {
      EDGELM_ASSIGN_OR_RETURN(TimedSpan span, session.Generate(c.n_gen));
      ns = span.ns();
      break;
    }
    case TestKind::kPromptGen: {
      EDGELM_ASSIGN_OR_RETURN(TimedSpan prefill, session.Prefill(c.n_prompt));
      EDGELM_ASSIGN_OR_RETURN(TimedSpan gen, session.Generate(c.n_gen));
      ns = gen.end_ns - prefill.start_ns;
      break;
    }
    case TestKind::kRequest: {
      EDGELM_ASSIGN_OR_RETURN(RequestTrace t, session.Request(options_.request_prompt, c.n_gen));
      if (t.token_ns.size() != c.n_gen) {
        return InternalError("request returned " + std::to_string(t.token_ns.size()) + " token times for " +
                             std::to_string(c.n_gen) + " tokens");
      }
      const int64_t first_ns = t.token_ns.front(), last_ns = t.token_ns.back();
      ns = last_ns - t.start_ns;
      tokens = c.n_gen;
      if (!measured) break;
      r.n_prompt = t.n_prompt_tokens;
      r.ttft_ms_samples.push_back(static_cast<double>(first_ns - t.start_ns) / 1e6);
      for (size_t i = 1; i < t.token_ns.size(); ++i) {
        r.itl_ms.push_back(static_cast<double>(t.token_ns[i] - t.token_ns[i - 1]) / 1e6);
      }
      // Decode speed excludes the first token (it carries the prefill).
      if (c.n_gen >= 2 && last_ns > first_ns) {
        r.decode_ts_samples.push_back((c.n_gen - 1) * 1e9 / static_cast<double>(last_ns - first_ns));
      }
      if (ns > 0) r.e2e_ts_samples.push_back(c.n_gen * 1e9 / static_cast<double>(ns));
      r.first_eos_index = t.first_eos_index;
      r.generated_text = t.text;
      break;
    }
  }
  if (ns <= 0) {
    return InternalError("measured a non-positive duration (" + std::to_string(ns) + " ns) for " + c.TestName() +
                         ": the backend's timestamps are not monotonic");
  }
  if (measured) {
    r.samples_ns.push_back(ns);
    r.samples_ts.push_back(tokens * 1e9 / static_cast<double>(ns));
  }
  return Status::Ok();
}

ConfigRecord Runner::RunConfig(const BenchConfig& c) {
  ConfigRecord r;
  r.config = c;
  r.test_time = IsoUtc(WallClockNs());
  r.backend = target_.backend_name();
  r.n_prompt = c.n_prompt;
  r.n_gen = c.n_gen;
  r.n_threads = c.n_threads;
  r.n_ctx = c.EffectiveCtx();
  if (auto it = options_.model_sha256.find(c.model_path); it != options_.model_sha256.end()) r.model_sha256 = it->second;
  auto body = [&]() -> Status {
    if (c.priority != current_priority_) {
      const int nice_value = PriorityToNice(c.priority);
      errno = 0;
      if (::setpriority(PRIO_PROCESS, 0, nice_value) != 0) {
        return PermissionDeniedError("cannot set priority " + std::to_string(c.priority) + " (nice " +
                                     std::to_string(nice_value) + "): " + ErrnoText(errno) +
                                     "; raising priority needs CAP_SYS_NICE, and so does going back after a "
                                     "lowered one (use --isolate to give each configuration its own process)");
      }
      current_priority_ = c.priority;
    }
    EDGELM_RETURN_IF_ERROR(EnsureModel(c.model_path, r));
    r.peak_rss_scope = ResetPeakRss() ? "config" : "process";
    EDGELM_ASSIGN_OR_RETURN(std::vector<int> cpus, CpuMaskToCpus(c.cpu_mask));
    TargetSessionOptions so;
    so.n_ctx = c.EffectiveCtx();
    so.n_threads = c.n_threads;
    so.n_batch = c.n_batch;
    so.type_k = c.type_k;
    so.isa = c.isa;
    so.cpus = cpus;
    EDGELM_ASSIGN_OR_RETURN(std::unique_ptr<BenchSession> session, loaded_->model->NewSession(so));
    r.isa = session->isa();
    r.n_threads = session->n_threads();
    r.n_ctx = session->n_ctx();
    for (int w = 0; w < c.warmups; ++w) EDGELM_RETURN_IF_ERROR(RunRepetition(*session, c, false, r));
    r.warmups = c.warmups;
    for (int rep = 0; rep < c.repetitions; ++rep) {
      Progress(c, rep + 1);
      EDGELM_RETURN_IF_ERROR(RunRepetition(*session, c, true, r));
    }
    const MemoryBreakdown m = session->memory();
    r.weights_bytes = m.weights_bytes;
    r.kv_bytes = m.kv_bytes;
    r.scratch_bytes = m.scratch_bytes;
    r.peak_rss_bytes = ReadProcStatusBytes("VmHWM");
    return Status::Ok();
  };
  Status st = body();
  if (!st.ok()) {
    r.status = "error";
    r.error = st.ToString();
    // Partial samples of a failed configuration would read as a result: drop them.
    r.samples_ns.clear();
    r.samples_ts.clear();
    r.ttft_ms_samples.clear();
    r.decode_ts_samples.clear();
    r.e2e_ts_samples.clear();
    r.itl_ms.clear();
  }
  return r;
}

ConfigRecord Runner::RunIsolated(const BenchConfig& c) {
  auto failed = [&](const std::string& why) {
    ConfigRecord r;
    r.config = c;
    r.test_time = IsoUtc(WallClockNs());
    r.backend = target_.backend_name();
    r.n_threads = c.n_threads;
    r.n_prompt = c.n_prompt;
    r.n_gen = c.n_gen;
    r.status = "error";
    r.error = why;
    return r;
  };
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return failed("isolate: pipe() failed: " + ErrnoText(errno));
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return failed("isolate: fork() failed: " + ErrnoText(errno));
  }
  if (pid == 0) {
    // The child finishes its configuration whatever the terminal sends; the parent
    // decides what to do after it.
    ::signal(SIGINT, SIG_IGN);
    ::signal(SIGTERM, SIG_IGN);
    ::close(fds[0]);
    loaded_.reset();
    ConfigRecord r = RunConfig(c);
    if (r.peak_rss_bytes) r.peak_rss_scope = "child";
    const std::string text = RecordToJson(r).dump();
    size_t off = 0;
    while (off < text.size()) {
      ssize_t n = ::write(fds[1], text.data() + off, text.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) ::_exit(3);
      off += static_cast<size_t>(n);
    }
    ::close(fds[1]);
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string text;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(wstatus)) {
    return failed("isolated child process was killed by signal " + std::to_string(WTERMSIG(wstatus)) + " (" +
                  strsignal(WTERMSIG(wstatus)) + ") while running " + c.TestName());
  }
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    return failed("isolated child process exited with status " + std::to_string(WEXITSTATUS(wstatus)));
  }
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return failed("isolated child process returned a record that is not JSON");
  auto r = RecordFromJson(j);
  if (!r.ok()) return failed("isolated child process returned a bad record: " + r.status().message());
  return *r;
}

Result<RunOutcome> Runner::Run(const std::vector<BenchConfig>& configs, const std::set<std::string>& skip,
                               const std::function<Status(const ConfigRecord&)>& on_record) {
  RunOutcome out;
  progress_total_ = 0;
  for (const auto& c : configs) progress_total_ += skip.count(c.Key()) ? 0 : 1;
  progress_done_ = 0;
  progress_start_ns_ = MonotonicNs();
  bool first = true;
  for (const BenchConfig& c : configs) {
    if (skip.count(c.Key())) {
      ++out.skipped;
      continue;
    }
    if (Interrupted()) {
      out.interrupted = true;
      break;
    }
    if (!first && options_.delay_s > 0) {
      InterruptibleSleep(options_.delay_s, options_.interrupt);
      if (Interrupted()) {
        out.interrupted = true;
        break;
      }
    }
    first = false;
    Progress(c, 0);
    ConfigRecord r = options_.isolate ? RunIsolated(c) : RunConfig(c);
    ++progress_done_;
    if (r.status != "ok") Warn(c.TestName() + " (" + c.model_path + "): " + r.error);
    const SampleSummary ts = Summarize(r.samples_ts);
    if (ts.high_cv) {
      char buf[200];
      std::snprintf(buf, sizeof buf, "%s t=%d: coefficient of variation %.1f%% over %zu repetitions (above %.0f%%): noisy",
                    c.TestName().c_str(), c.n_threads, *ts.cv * 100, ts.n, kHighCvThreshold * 100);
      Warn(buf);
    }
    Status saved = on_record ? on_record(r) : Status::Ok();
    out.records.push_back(std::move(r));
    if (!saved.ok()) {
      if (options_.progress) std::fprintf(stderr, "\r\033[K");
      return saved;
    }
  }
  if (options_.progress) std::fprintf(stderr, "\r\033[K");
  return out;
}

}  // namespace edgelm::bench
