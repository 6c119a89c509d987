// Building co-simulation executables (docs/timing_model.md section 7): the
// generator emits the RTL of a config, `verilator --sc --build` compiles it
// with sim/cosim_main.cpp against the macforge static libraries into a cache
// directory keyed by a hash of the generated Verilog (so any config that
// yields the same RTL shares one model). A stamp records what the executable
// was linked from; when the libraries change the (incremental) build reruns.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "gen/config.hpp"

namespace macforge::sim {

struct CosimToolchain {
  std::string source_dir;          // the macforge source tree
  std::vector<std::string> libs;   // static libraries to link, in link order
  std::vector<std::string> ldlibs = {"-lyaml-cpp"};
  std::string verilator = "verilator";
  std::string systemc_include = "/usr/include";
  std::string systemc_libdir;      // directory of libsystemc
  int jobs = 2;
};

struct CosimModel {
  std::string dir;   // cache_dir/<key>
  std::string exe;   // the executable
  std::string key;   // 16 hex digits
  bool built = false;  // (re)built by this call
};

// Where the cache lives unless --cache-dir is given: $MACFORGE_CACHE, else
// $XDG_CACHE_HOME/macforge/cosim, else ~/.cache/macforge/cosim.
std::string default_cosim_cache();

// Which executable: the co-simulation (SystemC, `verilator --sc`, cosim_main.cpp)
// or the plain C++ Verilator harness of the benchmark (`--cc`, plain_main.cpp)
// that drives the same RTL with the same driver and no SystemC.
enum class Harness { SystemC, Plain };

// Makes sure the executable for cfg exists and is current; builds it if not.
// Progress goes to log (one line per stage). Throws std::runtime_error when a
// tool fails (the message ends with the tail of its log).
CosimModel ensure_cosim_model(const gen::ArrayConfig& cfg, bool trace, const std::string& cache_dir,
                              const CosimToolchain& tc, std::ostream& log, Harness harness = Harness::SystemC);

uint64_t fnv1a(const std::string& bytes, uint64_t h = 0xcbf29ce484222325ull);

}  // namespace macforge::sim
