// StopStringMatcher of include/edgelm/sampler.h.
#include <algorithm>

#include "edgelm/sampler.h"

namespace edgelm {

StopStringMatcher::StopStringMatcher(std::vector<std::string> stop_strings) {
  for (std::string& s : stop_strings) {
    if (s.empty()) continue;
    max_stop_bytes_ = std::max(max_stop_bytes_, s.size());
    stops_.push_back(std::move(s));
  }
}

bool StopStringMatcher::Push(std::string_view text) {
  if (stopped_) return true;
  const size_t old_size = pending_.size();
  pending_.append(text);
  if (stops_.empty()) {
    safe_bytes_ = pending_.size();
    return false;
  }

  // A match not found before this push must end inside the new text, so it starts at
  // most max_stop_bytes_ - 1 bytes before it.
  const size_t search_from = old_size > max_stop_bytes_ - 1 ? old_size - (max_stop_bytes_ - 1) : 0;
  size_t best_pos = std::string::npos;
  const std::string* best = nullptr;
  for (const std::string& stop : stops_) {
    const size_t pos = pending_.find(stop, search_from);
    // The earliest match wins; at the same position the longer string is reported.
    if (pos != std::string::npos &&
        (pos < best_pos || (pos == best_pos && stop.size() > best->size()))) {
      best_pos = pos;
      best = &stop;
    }
  }
  if (best != nullptr) {
    pending_.resize(best_pos);
    safe_bytes_ = best_pos;
    stopped_ = true;
    matched_ = *best;
    return true;
  }

  // Hold back the longest tail that is the beginning of some stop string.
  size_t hold = 0;
  const size_t longest_tail = std::min(pending_.size(), max_stop_bytes_ - 1);
  for (size_t len = longest_tail; len > 0 && hold == 0; --len) {
    const std::string_view tail = std::string_view(pending_).substr(pending_.size() - len);
    for (const std::string& stop : stops_) {
      if (stop.size() > len && std::string_view(stop).substr(0, len) == tail) {
        hold = len;
        break;
      }
    }
  }
  safe_bytes_ = pending_.size() - hold;
  return false;
}

std::string StopStringMatcher::TakeSafe() {
  std::string out = pending_.substr(0, safe_bytes_);
  pending_.erase(0, safe_bytes_);
  safe_bytes_ = 0;
  return out;
}

std::string StopStringMatcher::Flush() {
  std::string out = std::move(pending_);
  pending_.clear();
  safe_bytes_ = 0;
  return out;
}

void StopStringMatcher::Reset() {
  pending_.clear();
  safe_bytes_ = 0;
  stopped_ = false;
  matched_.clear();
}

}  // namespace edgelm
