// External meters. `--power-cmd CMD`: a shell command that prints watts, one reading
// per line, for as long as it runs (a USB meter's CLI, a smart plug poller); each line
// is stamped when it arrives. `--power-log FILE`: readings "<unix_time_s>,<watts>"
// written by a meter's own logger; wall-clock times are mapped to the monotonic clock
// through the offset captured when the sensor opens.
#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>

#include "core/clock.h"
#include "telemetry/process.h"
#include "telemetry/sources.h"

namespace edgelm::telemetry {
namespace {

class PowerCmdSensor : public Sensor {
 public:
  explicit PowerCmdSensor(std::string command) : command_(std::move(command)) {
    channels_.push_back({"meter", Quantity::kPower, "W", 1.0, 0.0, true, "--power-cmd '" + command_ + "'"});
  }
  std::string name() const override { return "external:cmd"; }
  std::string source() const override { return "external"; }
  std::string coverage() const override { return "whatever the external meter measures (wall or supply input)"; }
  // Lines are stamped on arrival; the meter sets the pace.
  int64_t min_update_interval_ns() const override { return 0; }
  const std::vector<ChannelInfo>& channels() const override { return channels_; }
  int stream_fd() const override { return stream_.fd(); }
  bool self_timed() const override { return true; }
  Status Open() override {
    if (Trim(command_).empty()) return InvalidArgumentError("--power-cmd is empty");
    return Status::Ok();
  }
  Status Start() override { return stream_.StartShell(command_); }
  Status Stop() override {
    stream_.Terminate();
    return Status::Ok();
  }
  Status Read(int64_t now_ns, std::vector<Sample>* out) override {
    std::vector<std::string> lines;
    bool eof = false;
    EDGELM_RETURN_IF_ERROR(stream_.ReadLines(&lines, &eof));
    Status bad;
    for (const auto& line : lines) {
      if (Trim(line).empty()) continue;
      std::optional<double> w = ParseWattsLine(line);
      if (!w) {
        bad = CorruptError("--power-cmd printed '" + line.substr(0, 80) + "', expected watts (e.g. '12.5' or '12.5 W')");
        continue;
      }
      out->push_back({now_ns, {*w}});
    }
    if (eof) {
      stream_.Terminate();
      if (bad.ok()) bad = IoError("--power-cmd '" + command_ + "' exited: no more readings");
    }
    return bad;
  }

 private:
  std::string command_;
  LineStream stream_;
  std::vector<ChannelInfo> channels_;
};

class PowerLogSensor : public Sensor {
 public:
  explicit PowerLogSensor(std::string path) : path_(std::move(path)) {
    channels_.push_back({"meter", Quantity::kPower, "W", 1.0, 0.0, true, "--power-log '" + path_ + "'"});
  }
  ~PowerLogSensor() override {
    if (fd_ >= 0) close(fd_);
  }
  std::string name() const override { return "external:log"; }
  std::string source() const override { return "external"; }
  std::string coverage() const override { return "whatever the external meter measures (wall or supply input)"; }
  // How often the file is checked for new lines; readings keep their own times.
  int64_t min_update_interval_ns() const override { return 50'000'000; }
  bool self_timed() const override { return true; }
  const std::vector<ChannelInfo>& channels() const override { return channels_; }
  Status Open() override {
    fd_ = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return IoError("cannot open --power-log '" + path_ + "': " + ErrnoText(errno));
    // One capture of both clocks: wall time in the log minus this offset is monotonic.
    const int64_t mono0 = MonotonicNs();
    const int64_t wall = WallClockNs();
    const int64_t mono1 = MonotonicNs();
    wall_minus_mono_ns_ = wall - (mono0 + (mono1 - mono0) / 2);
    return Status::Ok();
  }
  Status Read(int64_t now_ns, std::vector<Sample>* out) override {
    (void)now_ns;
    char buf[4096];
    while (true) {
      ssize_t r = read(fd_, buf, sizeof(buf));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return IoError("reading --power-log '" + path_ + "': " + ErrnoText(errno));
      if (r == 0) break;
      partial_.append(buf, static_cast<size_t>(r));
      // A log line is tens of bytes; 64 KiB without a newline is not a meter log.
      if (partial_.size() > 64 * 1024 && partial_.find('\n') == std::string::npos) {
        partial_.clear();
        return CorruptError("--power-log '" + path_ + "' has a line longer than 64 KiB: not a '<unix_time_s>,<watts>' log");
      }
    }
    Status bad;
    size_t start = 0;
    while (true) {
      size_t nl = partial_.find('\n', start);
      if (nl == std::string::npos) break;
      std::string line = partial_.substr(start, nl - start);
      start = nl + 1;
      ++line_no_;
      std::string t = Trim(line);
      if (t.empty() || t[0] == '#') continue;
      std::optional<LogReading> reading = ParsePowerLogLine(t);
      if (!reading) {
        // A header line ("time,watts") is fine before the first reading; anything else
        // is bad data.
        if (seen_content_ || std::isdigit(static_cast<unsigned char>(t[0]))) {
          bad = CorruptError("--power-log '" + path_ + "' line " + std::to_string(line_no_) + ": '" + t.substr(0, 80) +
                             "', expected '<unix_time_s>,<watts>'");
        }
        seen_content_ = true;
        continue;
      }
      seen_content_ = true;
      const int64_t t_ns = static_cast<int64_t>(reading->unix_time_s * 1e9) - wall_minus_mono_ns_;
      if (!out->empty() && t_ns < out->back().t_ns) {
        bad = CorruptError("--power-log '" + path_ + "' line " + std::to_string(line_no_) + " goes back in time");
        continue;
      }
      out->push_back({t_ns, {reading->watts}});
    }
    partial_.erase(0, start);
    return bad;
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::string partial_;
  size_t line_no_ = 0;
  bool seen_content_ = false;  // a header or a reading was seen
  int64_t wall_minus_mono_ns_ = 0;
  std::vector<ChannelInfo> channels_;
};

}  // namespace

std::optional<double> ParseWattsLine(const std::string& line) {
  std::string t = Trim(line);
  size_t end = 0;
  while (end < t.size() && (std::isdigit(static_cast<unsigned char>(t[end])) || t[end] == '.' || t[end] == '-' ||
                            t[end] == '+' || t[end] == 'e' || t[end] == 'E')) {
    ++end;
  }
  std::optional<double> v = ParseDouble(t.substr(0, end));
  if (!v) return std::nullopt;
  std::string unit = Trim(t.substr(end));
  if (!unit.empty() && unit != "W" && unit != "w") return std::nullopt;
  if (*v < 0 || *v > 1e6) return std::nullopt;  // a meter reading, not garbage
  return v;
}

std::optional<LogReading> ParsePowerLogLine(const std::string& line) {
  std::string t = Trim(line);
  size_t sep = t.find_first_of(",; \t");
  if (sep == std::string::npos) return std::nullopt;
  std::optional<double> ts = ParseDouble(t.substr(0, sep));
  std::string rest = Trim(t.substr(sep + 1));
  while (!rest.empty() && (rest[0] == ',' || rest[0] == ';')) rest = Trim(rest.substr(1));
  std::optional<double> w = ParseWattsLine(rest);
  if (!ts || !w || *ts < 0 || *ts > 1e11) return std::nullopt;
  return LogReading{*ts, *w};
}

void AddExternal(const std::string& power_cmd, const std::string& power_log, Discovery* out) {
  if (!power_cmd.empty()) {
    auto s = std::make_unique<PowerCmdSensor>(power_cmd);
    Status st = s->Open();
    if (st.ok()) {
      out->findings.push_back({"external", "--power-cmd '" + power_cmd + "'", SourceFinding::State::kReadable,
                               "started with the session; one reading per line, stamped on arrival", ""});
      out->sensors.push_back(std::move(s));
    } else {
      out->findings.push_back({"external", "--power-cmd", SourceFinding::State::kUnreadable, st.ToString(),
                               "give a command that prints watts, one reading per line"});
    }
  }
  if (!power_log.empty()) {
    auto s = std::make_unique<PowerLogSensor>(power_log);
    Status st = s->Open();
    if (st.ok()) {
      out->findings.push_back({"external", "--power-log '" + power_log + "'", SourceFinding::State::kReadable,
                               "lines '<unix_time_s>,<watts>' aligned via the wall/monotonic offset", ""});
      out->sensors.push_back(std::move(s));
    } else {
      out->findings.push_back({"external", "--power-log '" + power_log + "'", SourceFinding::State::kUnreadable,
                               st.ToString(), "check the path; the meter's logger must write the file"});
    }
  }
}

}  // namespace edgelm::telemetry
