// Runs the built `edgelm` binary and captures its exit code, stdout and stderr.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace edgelm::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string EdgelmBinary() { return std::string(EDGELM_BINARY_DIR) + "/bin/edgelm"; }

// Single-quotes an argument for /bin/sh.
inline std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') q += "'\\''";
    else q += c;
  }
  return q + "'";
}

inline CliResult RunEdgelm(const std::string& args) {
  const std::string err_path = ::testing::TempDir() + "edgelm_cli_stderr_" + std::to_string(::getpid());
  const std::string cmd = ShellQuote(EdgelmBinary()) + " " + args + " 2>" + ShellQuote(err_path);
  CliResult r;
  std::FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream e(err_path);
  std::stringstream ss;
  ss << e.rdbuf();
  r.err = ss.str();
  std::remove(err_path.c_str());
  return r;
}

}  // namespace edgelm::testing
