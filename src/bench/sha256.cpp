#include "bench/sha256.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

namespace edgelm::bench {
namespace {

// First 32 bits of the fractional parts of the cube roots of the first 64 primes.
constexpr uint32_t kRoundConstants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

inline uint32_t Rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

}  // namespace

Sha256::Sha256()
    // First 32 bits of the fractional parts of the square roots of the first 8 primes.
    : h_{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19} {}

void Sha256::Compress(const uint8_t* block) {
  uint32_t w[64];
  for (int i = 0; i < 16; ++i) {
    w[i] = (uint32_t{block[4 * i]} << 24) | (uint32_t{block[4 * i + 1]} << 16) |
           (uint32_t{block[4 * i + 2]} << 8) | uint32_t{block[4 * i + 3]};
  }
  for (int i = 16; i < 64; ++i) {
    const uint32_t s0 = Rotr(w[i - 15], 7) ^ Rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    const uint32_t s1 = Rotr(w[i - 2], 17) ^ Rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4], f = h_[5], g = h_[6], h = h_[7];
  for (int i = 0; i < 64; ++i) {
    const uint32_t s1 = Rotr(e, 6) ^ Rotr(e, 11) ^ Rotr(e, 25);
    const uint32_t ch = (e & f) ^ (~e & g);
    const uint32_t t1 = h + s1 + ch + kRoundConstants[i] + w[i];
    const uint32_t s0 = Rotr(a, 2) ^ Rotr(a, 13) ^ Rotr(a, 22);
    const uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
    const uint32_t t2 = s0 + maj;
    h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  h_[0] += a; h_[1] += b; h_[2] += c; h_[3] += d; h_[4] += e; h_[5] += f; h_[6] += g; h_[7] += h;
}

void Sha256::Update(const void* data, size_t len) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  total_bytes_ += len;
  if (buffered_ > 0) {
    const size_t take = std::min(len, buffer_.size() - buffered_);
    std::memcpy(buffer_.data() + buffered_, p, take);
    buffered_ += take;
    p += take;
    len -= take;
    if (buffered_ < buffer_.size()) return;
    Compress(buffer_.data());
    buffered_ = 0;
  }
  while (len >= 64) {
    Compress(p);
    p += 64;
    len -= 64;
  }
  if (len > 0) {
    std::memcpy(buffer_.data(), p, len);
    buffered_ = len;
  }
}

std::string Sha256::FinishHex() {
  const uint64_t bit_len = total_bytes_ * 8;
  // Padding: 0x80, zeros up to 56 mod 64, then the message length in bits, big-endian.
  uint8_t pad[72] = {0x80};
  const size_t pad_len = (buffered_ < 56 ? 56 - buffered_ : 120 - buffered_);
  for (int i = 0; i < 8; ++i) pad[pad_len + i] = static_cast<uint8_t>(bit_len >> (56 - 8 * i));
  const uint64_t saved_total = total_bytes_;
  Update(pad, pad_len + 8);
  total_bytes_ = saved_total;
  EDGELM_CHECK(buffered_ == 0);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (uint32_t v : h_) {
    for (int shift = 28; shift >= 0; shift -= 4) out.push_back(kHex[(v >> shift) & 0xF]);
  }
  return out;
}

Result<std::string> Sha256File(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) {
    int err = errno;
    return Status(err == ENOENT ? StatusCode::kNotFound : StatusCode::kIoError,
                  "cannot open '" + path + "' to compute its sha256: " + ErrnoText(err));
  }
  Sha256 hash;
  std::vector<uint8_t> chunk(1 << 20);
  while (true) {
    size_t n = std::fread(chunk.data(), 1, chunk.size(), f.get());
    if (n > 0) hash.Update(chunk.data(), n);
    if (n < chunk.size()) {
      if (std::ferror(f.get())) return IoError("read error while hashing '" + path + "': " + ErrnoText(errno));
      break;
    }
  }
  return hash.FinishHex();
}

namespace {

constexpr char kCacheHeader[] = "# edgelm sha256 cache v1: sha256 size mtime_ns ctime_ns inode device path";
// Entries kept (most recent last): enough for every model on a device, small enough to
// read in well under a millisecond.
constexpr size_t kMaxCacheEntries = 256;
// A cache file larger than this is not ours (or is damaged): ignored and rewritten.
constexpr std::uintmax_t kMaxCacheBytes = 1 << 20;

struct FileIdentity {
  std::string path;  // absolute, lexically normal
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  uint64_t inode = 0;
  uint64_t device = 0;
  bool operator==(const FileIdentity&) const = default;
};

struct CacheEntry {
  FileIdentity id;
  std::string sha256;
};

Result<FileIdentity> Identify(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    return Status(err == ENOENT ? StatusCode::kNotFound : StatusCode::kIoError,
                  "cannot stat '" + path + "' to compute its sha256: " + ErrnoText(err));
  }
  FileIdentity id;
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(path, ec);
  id.path = ec ? path : abs.lexically_normal().string();
  id.size = static_cast<uint64_t>(st.st_size);
  id.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  id.ctime_ns = static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
  id.inode = static_cast<uint64_t>(st.st_ino);
  id.device = static_cast<uint64_t>(st.st_dev);
  return id;
}

template <typename T>
bool ParseNumber(std::string_view text, T* out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

bool IsHexDigest(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// One line "sha256 size mtime ctime inode device path" (tab-separated, the path last
// and free of tabs/newlines); false for anything else.
bool ParseEntry(const std::string& line, CacheEntry* e) {
  std::string_view rest(line);
  std::string_view fields[6];
  for (std::string_view& f : fields) {
    const size_t tab = rest.find('\t');
    if (tab == std::string_view::npos) return false;
    f = rest.substr(0, tab);
    rest.remove_prefix(tab + 1);
  }
  if (rest.empty() || rest.front() != '/' || rest.find('\t') != std::string_view::npos) return false;
  if (!IsHexDigest(fields[0])) return false;
  if (!ParseNumber(fields[1], &e->id.size) || !ParseNumber(fields[2], &e->id.mtime_ns) ||
      !ParseNumber(fields[3], &e->id.ctime_ns) || !ParseNumber(fields[4], &e->id.inode) ||
      !ParseNumber(fields[5], &e->id.device)) {
    return false;
  }
  e->sha256 = std::string(fields[0]);
  e->id.path = std::string(rest);
  return true;
}

// The well-formed entries of the cache file; none when it is absent, too large or not
// ours. Lines that do not parse are skipped, so a damaged entry costs one recomputation.
std::vector<CacheEntry> ReadCache(const std::string& cache_file) {
  std::vector<CacheEntry> entries;
  std::error_code ec;
  const std::uintmax_t bytes = std::filesystem::file_size(cache_file, ec);
  if (ec || bytes > kMaxCacheBytes) return entries;
  std::ifstream in(cache_file, std::ios::binary);
  std::string line;
  if (!std::getline(in, line) || line != kCacheHeader) return entries;
  while (std::getline(in, line)) {
    CacheEntry e;
    if (ParseEntry(line, &e)) entries.push_back(std::move(e));
  }
  return entries;
}

// Replaces the entry of `entry.id.path` and rewrites the cache atomically; failures are
// ignored (the digest is still right, the next run just hashes again).
void StoreInCache(const std::string& cache_file, const CacheEntry& entry) {
  std::vector<CacheEntry> entries = ReadCache(cache_file);
  std::erase_if(entries, [&](const CacheEntry& e) { return e.id.path == entry.id.path; });
  entries.push_back(entry);
  if (entries.size() > kMaxCacheEntries) entries.erase(entries.begin(), entries.end() - kMaxCacheEntries);
  std::ostringstream text;
  text << kCacheHeader << '\n';
  for (const CacheEntry& e : entries) {
    text << e.sha256 << '\t' << e.id.size << '\t' << e.id.mtime_ns << '\t' << e.id.ctime_ns << '\t' << e.id.inode
         << '\t' << e.id.device << '\t' << e.id.path << '\n';
  }
  std::error_code ec;
  const std::filesystem::path target(cache_file);
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), ec);
  const std::string tmp = cache_file + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return;
    const std::string s = text.str();
    out.write(s.data(), static_cast<std::streamsize>(s.size()));
    if (!out.flush()) {
      out.close();
      std::filesystem::remove(tmp, ec);
      return;
    }
  }
  std::filesystem::rename(tmp, target, ec);
  if (ec) std::filesystem::remove(tmp, ec);
}

}  // namespace

Result<FileDigest> Sha256FileCached(const std::string& path, const std::string& cache_file) {
  EDGELM_ASSIGN_OR_RETURN(const FileIdentity before, Identify(path));
  // A path the line format cannot hold is hashed every time.
  const bool cacheable = !cache_file.empty() && !before.path.empty() && before.path.front() == '/' &&
                         before.path.find_first_of("\t\n\r") == std::string::npos;
  if (cacheable) {
    for (const CacheEntry& e : ReadCache(cache_file)) {
      if (e.id == before) return FileDigest{e.sha256, true};
    }
  }
  EDGELM_ASSIGN_OR_RETURN(std::string digest, Sha256File(path));
  if (cacheable) {
    // Only a file that did not change while it was read gets an entry.
    Result<FileIdentity> after = Identify(path);
    if (after.ok() && *after == before) StoreInCache(cache_file, CacheEntry{before, digest});
  }
  return FileDigest{std::move(digest), false};
}

std::string DefaultDigestCachePath() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/edgelm/sha256-cache.tsv";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/edgelm/sha256-cache.tsv";
  return "";
}

}  // namespace edgelm::bench
