// macforge cosim: the behavioural SystemC model, the generated RTL (verilated
// with --sc) and the reference GEMM on the same random operands: cycle counts
// and a bit-exact comparison (docs/timing_model.md section 7).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "sim/cosim.hpp"
#include "sim/cosim_build.hpp"
#include "sim/schedule.hpp"
#include "sim/sim_config.hpp"

namespace macforge::cli {
namespace {

const char* kUsage =
    "usage: macforge cosim --config CFG --gemm M,N,K [--array RxC] [--dataflow os|ws] [--mode M]\n"
    "                      [--seed S] [--ideal-memory] [--vcd FILE] [--cache-dir DIR] [--jobs N]\n"
    "                      [--build-only]\n\n"
    "Runs C = A x B^T on seeded random operands (activations Laplace with outliers, weights\n"
    "Gaussian, each quantized by its format's quantizer) through the same SystemC top twice: with\n"
    "the behavioural array and with the generated RTL verilated with `verilator --sc`, and computes\n"
    "the reference gemm(). Prints JSON with each back end's cycle count and the comparison; exit 0\n"
    "when the cycle counts agree and both outputs are bit-exact with the reference, 1 otherwise (the\n"
    "first differing output -- indices, float32 codes and values -- is printed), 2 on bad input.\n\n"
    "The RTL is generated from CFG and compiled once per distinct RTL into a cache keyed by a hash\n"
    "of the generated Verilog (default $MACFORGE_CACHE, else ~/.cache/macforge/cosim); the first run\n"
    "of a new config builds it (tens of seconds to minutes), later runs start at once.\n"
    "--mode M runs a multi-format array (pe.modes) in mode M: 0 (the 8-bit mode, the default) or 1,\n"
    "or the mode's format as layer files name it (e.g. nvint4, or A/B for different operands).\n"
    "The operands are quantized in that mode's formats, the array streams that mode's lanes with\n"
    "in_mode = M, and the reference is the single-format gemm() of those formats. A mode the\n"
    "config lacks (or, on a single-format config, another format than its own) is an error (exit 2).\n"
    "--vcd FILE writes a waveform of the RTL (a separate model built with --trace).\n"
    "--build-only builds the model and prints the executable's path (--harness plain: the\n"
    "benchmark's plain C++ Verilator harness of the same RTL instead).";

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> v;
  size_t a = 0;
  while (a <= s.size()) {
    size_t b = s.find('|', a);
    if (b == std::string::npos) b = s.size();
    if (b > a) v.push_back(s.substr(a, b - a));
    a = b + 1;
  }
  return v;
}

}  // namespace

int cmd_cosim(const std::vector<std::string>& args) {
  po::options_description desc("options");
  desc.add_options()("config,c", po::value<std::string>(), "configuration YAML")(
      "gemm", po::value<std::string>(), "M,N,K")("array", po::value<std::string>(), "RxC, overrides the config")(
      "dataflow", po::value<std::string>(), "os | ws, overrides the config")(
      "mode", po::value<std::string>(), "multi-format array: the mode to run (0, 1 or its format; default 0)")(
      "seed", po::value<uint64_t>()->default_value(1), "operand data seed")(
      "ideal-memory", "unbounded buffers and bandwidth")("vcd", po::value<std::string>(), "waveform of the RTL")(
      "cache-dir", po::value<std::string>(), "where co-simulation models are built and kept")(
      "jobs,j", po::value<int>()->default_value(2), "parallel compile jobs when building a model")(
      "build-only", "build the model (if needed), print its path, run nothing")(
      "harness", po::value<std::string>()->default_value("systemc"),
      "with --build-only: systemc (the co-simulation) or plain (the benchmark's C++ Verilator harness)");
  po::variables_map vm;
  if (!parse_options("cosim", kUsage, desc, args, vm)) return 0;
  if (!vm.count("config")) throw UsageError("macforge cosim: --config is required (see 'macforge cosim --help')");
  bool build_only = vm.count("build-only") > 0;
  if (!vm.count("gemm") && !build_only) throw UsageError("macforge cosim: --gemm M,N,K is required");
  if (vm["jobs"].as<int>() < 1) throw UsageError("--jobs must be at least 1");
  std::string harness = vm["harness"].as<std::string>();
  if (harness != "systemc" && harness != "plain")
    throw UsageError("--harness '" + harness + "': expected systemc or plain");
  if (harness == "plain" && !build_only) throw UsageError("--harness plain needs --build-only");

  // Arguments for the model executable: everything but this command's own options.
  std::vector<std::string> pass = {"--config", vm["config"].as<std::string>()};
  if (vm.count("gemm")) pass.insert(pass.end(), {"--gemm", vm["gemm"].as<std::string>()});
  if (vm.count("array")) pass.insert(pass.end(), {"--array", vm["array"].as<std::string>()});
  if (vm.count("dataflow")) pass.insert(pass.end(), {"--dataflow", vm["dataflow"].as<std::string>()});
  if (vm.count("mode")) pass.insert(pass.end(), {"--mode", vm["mode"].as<std::string>()});
  pass.insert(pass.end(), {"--seed", std::to_string(vm["seed"].as<uint64_t>())});
  if (vm.count("ideal-memory")) pass.push_back("--ideal-memory");
  std::string vcd = vm.count("vcd") ? vm["vcd"].as<std::string>() : "";

  // Validate everything the model would, before building anything.
  std::vector<std::string> check = pass;
  if (build_only && !vm.count("gemm")) check.insert(check.end(), {"--gemm", "1,1,1"});
  sim::CosimArgs ca = sim::parse_cosim_args(check, false);
  sim::LoadedConfig cfg = sim::load_sim_config(ca.config, ca.ov);
  const sim::ArraySpec arr = cfg.accel.array.in_mode(sim::cosim_mode(cfg.accel.array, ca.mode));
  for (const sim::Gemm& g : ca.gemms) sim::Schedule(arr, cfg.accel.memory, g, ca.ideal);

  sim::CosimToolchain tc;
  tc.source_dir = MACFORGE_SOURCE_DIR;
  tc.libs = split_list(MACFORGE_COSIM_LIBS);
  tc.systemc_include = MACFORGE_SYSTEMC_INCLUDE;
  tc.systemc_libdir = MACFORGE_SYSTEMC_LIBDIR;
  tc.jobs = vm["jobs"].as<int>();
  std::string cache = vm.count("cache-dir") ? vm["cache-dir"].as<std::string>() : sim::default_cosim_cache();
  sim::CosimModel model;
  try {
    model = sim::ensure_cosim_model(cfg.gen, !vcd.empty(), cache, tc, std::cerr,
                                    harness == "plain" ? sim::Harness::Plain : sim::Harness::SystemC);
  } catch (const FormatError&) {
    throw;
  } catch (const std::exception& e) {
    throw RuntimeError(e.what());
  }
  if (build_only) {
    std::cout << model.exe << "\n";
    return 0;
  }

  // The waveform is written under a temporary name and renamed when the run ends.
  std::string vcd_tmp;
  if (!vcd.empty()) {
    vcd_tmp = vcd + ".tmp." + std::to_string(::getpid());
    pass.insert(pass.end(), {"--vcd", vcd_tmp});
  }
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(model.exe.c_str()));
  for (std::string& a : pass) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::cout.flush();
  pid_t pid = ::fork();
  if (pid < 0) throw RuntimeError("cannot start the co-simulation model: fork failed");
  if (pid == 0) {
    ::execv(model.exe.c_str(), argv.data());
    std::perror("execv");
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
  if (!vcd_tmp.empty()) {
    std::error_code ec;
    if ((rc == 0 || rc == 1) && std::filesystem::exists(vcd_tmp)) {
      std::filesystem::rename(vcd_tmp, vcd, ec);
      if (ec) throw RuntimeError("cannot write '" + vcd + "': " + ec.message());
    } else {
      std::filesystem::remove(vcd_tmp, ec);
    }
  }
  if (!WIFEXITED(status)) throw RuntimeError("the co-simulation model '" + model.exe + "' crashed");
  return rc;
}

}  // namespace macforge::cli
