// Helpers of the synthesis tests: paths, the real-PDK skip rule, temporary
// directories and running the macforge CLI.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "gen/config.hpp"
#include "synth/process.hpp"

namespace macforge::synth::test {

inline std::string source_dir() { return MACFORGE_SOURCE_DIR; }
// ${PROJECT_SOURCE_DIR}/../shared/pdk
inline std::string pdk_dir() { return MACFORGE_PDK_DIR; }
inline std::string sky130_lib() { return pdk_dir() + "/sky130_fd_sc_hd__tt_025C_1v80.lib"; }
inline std::string ihp_lib() { return pdk_dir() + "/sg13g2_stdcell_typ_1p20V_25C.lib"; }
inline bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

// A fresh directory under the build tree's temp area, removed by the destructor.
class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    path_ = std::filesystem::temp_directory_path() /
            ("macforge-synth-test-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    if (!std::getenv("MACFORGE_KEEP_TEST_DIRS")) std::filesystem::remove_all(path_, ec);
  }
  std::string str() const { return path_.string(); }
  std::string operator/(const std::string& s) const { return (path_ / s).string(); }

 private:
  static int& counter() {
    static int c = 0;
    return c;
  }
  std::filesystem::path path_;
};

struct CliResult {
  int code = -1;
  std::string out, err;
};

// Runs `macforge ARGS` (a shell command line; arguments must be shell-safe).
inline CliResult run_cli(const std::string& args, const std::string& env = "") {
  TempDir t("cli");
  std::string cmd = env + (env.empty() ? "" : " ") + std::string(MACFORGE_CLI) + " " + args + " > " + (t / "out") +
                    " 2> " + (t / "err");
  int rc = std::system(cmd.c_str());
  CliResult r;
  r.code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  auto slurp = [](const std::string& p) {
    std::FILE* f = std::fopen(p.c_str(), "rb");
    std::string s;
    if (!f) return s;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
    std::fclose(f);
    return s;
  };
  r.out = slurp(t / "out");
  r.err = slurp(t / "err");
  return r;
}

// A validated configuration of a small PE / array.
inline gen::ArrayConfig small_config(const std::string& name, const std::string& fmt, int lanes, int rows = 1,
                                     int cols = 1, const std::string& fmt_b = "") {
  gen::ArrayConfig c;
  c.name = name;
  c.a_name = fmt;
  c.b_name = fmt_b.empty() ? fmt : fmt_b;
  c.lanes = lanes;
  c.pipeline = 0;
  c.rows = rows;
  c.cols = cols;
  gen::validate_config(c, "test");
  return c;
}

inline std::string config_file(const TempDir& t, const std::string& yaml) {
  std::string p = t / "cfg.yaml";
  write_text_atomic(p, yaml);
  return p;
}

// A 2x2 array of 2-lane NVINT4 PEs.
inline const char* kTinyYaml =
    "name: tiny\npe:\n  a: nvint4\n  b: nvint4\n  lanes: 2\n  pipeline: 0\narray:\n  rows: 2\n  cols: 2\n";

}  // namespace macforge::synth::test

// Real PDK files: skipped when absent, except in CI (CI=true), where that fails.
#define MACFORGE_REQUIRE_PDK(path)                                                               \
  do {                                                                                           \
    if (!std::filesystem::exists(path)) {                                                        \
      if (::macforge::synth::test::in_ci()) FAIL() << "CI=true but the PDK file is missing: " << (path); \
      GTEST_SKIP() << "PDK file not present: " << (path);                                        \
    }                                                                                            \
  } while (0)
