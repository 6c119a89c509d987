// Speed of the SystemC accelerator model and of co-simulation
// (docs/timing_model.md section 9). Every figure is reported together with a
// ratio against a baseline measured in the same run:
//
//  1. timing-only model, 32x32 array: a 4096^3 GEMM and the GEMMs of one
//     transformer block (hidden 4096, sequence 2048, 32 heads): wall time,
//     simulated cycles/s, simulated MAC/s, speed-up over the functional model;
//  2. functional behavioural model (reference numerics per tile), same array
//     and workloads (row slices of each GEMM unless --full: its speed per MAC
//     does not depend on M), MAC/s;
// Figures count what was simulated: a layer with `count` repeats (the
// attention heads) is simulated once.
//  3. co-simulation of 8x8 and 16x16 arrays: RTL cycles/s through the SystemC
//     wrapper, against the plain C++ Verilator harness on the same RTL and
//     stimuli (wrapper overhead), and the functional model's speed-up over
//     co-simulation on the same GEMM.
//
//   bench_sim [--full] [--no-cosim] [--cache-dir DIR] [--jobs N]
//
// The co-simulation models are built on first use with `macforge cosim
// --build-only` into the cache (several minutes for the first run).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "sim/controller.hpp"
#include "sim/data.hpp"
#include "sim/engine.hpp"
#include "sim/run.hpp"
#include "sim/sim_config.hpp"

int sc_main(int, char**) { return 0; }

using namespace macforge;
using namespace macforge::sim;
namespace fs = std::filesystem;

namespace {

std::string config_text(const std::string& name, int rows, int cols, const std::string& df) {
  return "name: " + name + "\npe:\n  a: mxfp8_e4m3\n  b: mxfp8_e4m3\n  lanes: 4\narray:\n  rows: " +
         std::to_string(rows) + "\n  cols: " + std::to_string(cols) + "\n  dataflow: " + df + "\n";
}

std::string write_config(const fs::path& dir, const std::string& name, int rows, int cols, const std::string& df) {
  fs::create_directories(dir);
  fs::path p = dir / (name + ".yaml");
  std::ofstream(p) << config_text(name, rows, cols, df);
  return p.string();
}

std::string run_cmd(const std::string& cmd, int& rc) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) {
    rc = -1;
    return out;
  }
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  int st = ::pclose(p);
  rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

// The number after "key": in a JSON text (first occurrence after `from`).
double json_num(const std::string& j, const std::string& key, size_t from = 0) {
  size_t p = j.find("\"" + key + "\":", from);
  if (p == std::string::npos) return -1;
  return std::strtod(j.c_str() + p + key.size() + 3, nullptr);
}

// Rates are per CPU second of this process (or of the model executable):
// the machine is shared, and CPU time does not count other processes' load.
struct Figure {
  std::string what;
  double wall = 0, seconds = 0, cycles = 0, macs = 0;  // seconds: CPU
};

void print_fig(const Figure& f, const std::string& ratio) {
  std::printf("| %-52s | %8.3f | %8.3f | %11.4g | %11.4g | %11.4g | %s |\n", f.what.c_str(), f.wall, f.seconds,
              f.cycles / f.seconds, f.macs / f.seconds, f.cycles, ratio.c_str());
  std::fflush(stdout);
}

std::string ratio(double x, const char* what) {
  char b[96];
  std::snprintf(b, sizeof b, "%.3gx %s", x, what);
  return b;
}

// The model's own time: the sum of the layers' run() times (operand drawing
// and quantization of functional runs excluded).
Figure run_model(const AccelConfig& c, const std::vector<Gemm>& gemms, bool timing_only, const std::string& what) {
  SimRequest req;
  req.timing_only = timing_only;
  RunSummary s = run_workload(c, gemms, req);
  Figure f;
  f.what = what;
  // What was simulated: one instance of each layer (a layer's `count` repeats
  // are multiplied in reports, not simulated).
  for (const LayerReport& l : s.layers) {
    f.wall += l.wall_seconds;
    f.seconds += l.cpu_seconds;
    f.cycles += double(l.total_cycles);
    f.macs += l.macs;
  }
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  bool full = false, cosim = true;
  std::string cache = (fs::temp_directory_path() / "macforge-bench-models").string();
  int jobs = 2;
  for (int a = 1; a < argc; ++a) {
    std::string s = argv[a];
    if (s == "--full") full = true;
    else if (s == "--no-cosim") cosim = false;
    else if (s == "--cache-dir" && a + 1 < argc) cache = argv[++a];
    else if (s == "--jobs" && a + 1 < argc) jobs = std::atoi(argv[++a]);
    else {
      std::cerr << "usage: bench_sim [--full] [--no-cosim] [--cache-dir DIR] [--jobs N]\n";
      return 2;
    }
  }
  fs::path cfg_dir = fs::path(cache) / "configs";
  std::printf("| run | wall s | CPU s | sim cycles / CPU s | sim MAC / CPU s | cycles | ratio (CPU time) |\n"
              "|---|---|---|---|---|---|---|\n");

  // ---- 1 and 2: the behavioural model on a 32x32 array ------------------------
  std::vector<Gemm> big = {parse_gemm("4096,4096,4096")};
  big[0].name = "gemm4096";
  std::vector<Gemm> block = transformer_block(4096, 2048, 32);
  // Functional runs: the same GEMMs with M cut to `rows` (the model's speed per
  // MAC does not depend on M), unless --full.
  auto slice = [&](std::vector<Gemm> v, int64_t rows) {
    if (!full)
      for (Gemm& g : v) g.M = std::min(g.M, rows);
    return v;
  };
  for (const char* df : {"output-stationary", "weight-stationary"}) {
    std::string d = df[0] == 'o' ? "os" : "ws";
    AccelConfig c = load_sim_config(write_config(cfg_dir, "bench32_" + d, 32, 32, df)).accel;
    Figure tb = run_model(c, big, true, "timing-only 32x32 " + d + " 4096^3");
    Figure tt = run_model(c, block, true, "timing-only 32x32 " + d + " transformer block");
    Figure fb = run_model(c, slice(big, 256), false,
                          "functional 32x32 " + d + (full ? " 4096^3" : " 256x4096x4096 (rows of 4096^3)"));
    Figure ft = run_model(c, slice(block, 64), false,
                          "functional 32x32 " + d + (full ? " transformer block" : " transformer block, M=64"));
    print_fig(tb, ratio((tb.macs / tb.seconds) / (fb.macs / fb.seconds), "functional MAC/s"));
    print_fig(tt, ratio((tt.macs / tt.seconds) / (ft.macs / ft.seconds), "functional MAC/s"));
    print_fig(fb, "baseline");
    print_fig(ft, "baseline");
  }
  if (!cosim) return 0;

  // ---- 3: co-simulation speed ------------------------------------------------
  for (int n : {8, 16}) {
    std::string name = "bench" + std::to_string(n) + "_os";
    std::string cfg = write_config(cfg_dir, name, n, n, "output-stationary");
    std::string base = std::string(MF_MACFORGE) + " cosim --config " + cfg + " --cache-dir " + cache + " --jobs " +
                       std::to_string(jobs) + " --build-only";
    int rc = 0;
    std::string sc_exe = run_cmd(base, rc);
    if (rc != 0) {
      std::cerr << "building the co-simulation model failed\n";
      return 1;
    }
    std::string plain_exe = run_cmd(base + " --harness plain", rc);
    if (rc != 0) {
      std::cerr << "building the plain harness failed\n";
      return 1;
    }
    auto trim = [](std::string s) {
      while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
      return s;
    };
    sc_exe = trim(sc_exe);
    plain_exe = trim(plain_exe);
    std::string shape = "256,256,1024";
    std::string j = run_cmd(sc_exe + " --config " + cfg + " --gemm " + shape + " --ideal-memory", rc);
    if (rc != 0) {
      std::cerr << "co-simulation failed:\n" << j;
      return 1;
    }
    std::string p = run_cmd(plain_exe + " --config " + cfg + " --gemm " + shape, rc);
    if (rc != 0) {
      std::cerr << "plain harness failed:\n" << p;
      return 1;
    }
    Gemm g = parse_gemm(shape);
    double macs = g.macs();
    size_t beh = j.find("\"behavioural\""), rtl = j.find("\"rtl\"");
    Figure fr, fb, fp;
    fr.what = "cosim RTL (SystemC wrapper) " + std::to_string(n) + "x" + std::to_string(n) + " " + shape;
    fr.wall = json_num(j, "wall_seconds", rtl);
    fr.seconds = json_num(j, "cpu_seconds", rtl);
    fr.cycles = json_num(j, "total_cycles", rtl);
    fr.macs = macs;
    fb.what = "functional behavioural " + std::to_string(n) + "x" + std::to_string(n) + " " + shape;
    fb.wall = json_num(j, "wall_seconds", beh);
    fb.seconds = json_num(j, "cpu_seconds", beh);
    fb.cycles = json_num(j, "total_cycles", beh);
    fb.macs = macs;
    fp.what = "plain C++ Verilator harness " + std::to_string(n) + "x" + std::to_string(n) + " " + shape;
    fp.wall = json_num(p, "seconds");
    fp.seconds = json_num(p, "cpu_seconds");
    fp.cycles = json_num(p, "cycles");
    fp.macs = macs;
    double clocked_sc = json_num(j, "rtl_clocked_cycles"), clocked_plain = json_num(p, "clocked");
    double sc_cps = clocked_sc / fr.seconds, plain_cps = clocked_plain / fp.seconds;
    print_fig(fp, "baseline");
    print_fig(fr, ratio(plain_cps / sc_cps, "slower than plain (wrapper overhead)"));
    print_fig(fb, ratio(fr.seconds / fb.seconds, "faster than co-simulation"));
  }
  return 0;
}
