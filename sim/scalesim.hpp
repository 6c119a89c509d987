// SCALE-Sim v2 inputs and cycle convention (docs/timing_model.md section 11).
//
//  - its configuration file (.cfg, Python configparser syntax) and topology
//    CSV (convolution form and GEMM form), read into macforge's workload and
//    an int8, 1-lane array with the cfg's array shape, dataflow, SRAM sizes
//    and DRAM bandwidth;
//  - its stall-free compute cycles in closed form (`--convention scalesim`):
//    SCALE-Sim runs the folds of a layer one after another, each fold filling
//    and draining the array before the next starts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/arch.hpp"
#include "sim/sim_config.hpp"
#include "sim/workload.hpp"

namespace macforge::sim {

struct ScaleSimConfig {
  std::string source;          // path of the .cfg
  std::string run_name = "scale_run";
  int rows = 0, cols = 0;      // ArrayHeight, ArrayWidth
  int shape_line = 0;          // line of ArrayHeight, for messages
  Dataflow dataflow = Dataflow::OS;
  // SRAM sizes in kB (1024 bytes: SCALE-Sim multiplies by 1024); SCALE-Sim's
  // defaults when absent.
  int64_t ifmap_kb = 256, filter_kb = 256, ofmap_kb = 128;
  bool user_bandwidth = false; // InterfaceBandwidth: USER (true) or CALC
  double bandwidth = 0;        // Bandwidth (words = bytes per cycle; 0 = absent)
  std::string topology;        // [network_presets] TopologyCsvLoc ("" = absent)
  // Keys and values macforge does not model, as written ("IfmapOffset"), each
  // with why in parentheses where it matters; warning() joins them.
  std::vector<std::string> ignored;
  // One line for stderr naming everything not modelled ("" when nothing is).
  std::string warning() const;
};

// Reads a SCALE-Sim .cfg. Errors are one line "FILE:LINE: what (allowed: ...)"
// (FormatError): a missing ArrayHeight/ArrayWidth/Dataflow, a size that is not
// a positive integer, an unknown dataflow, SparsitySupport = true.
ScaleSimConfig load_scalesim_config(const std::string& path);
ScaleSimConfig parse_scalesim_config(const std::string& text, const std::string& origin);

// Reads a SCALE-Sim topology CSV. The header decides the form: `Layer, M, N,
// K,` (GEMM) or `Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter
// Width, Channels, Num Filter, Strides,` (convolution; a ninth column gives
// the column stride separately). Rows end with a comma (SCALE-Sim drops the
// last cell of every row); a row without it is read the same way. A layer
// whose name contains "DP" is depthwise as in SCALE-Sim: Channels separate
// convolutions of one channel each (count = Channels). Convolutions have no
// padding term (the IFMAP height/width is the input the filter slides over,
// padding included) and SCALE-Sim's output size Ho = ceil((H - Fh + S) / S)
// (ConvShape::scalesim_ceil).
std::vector<Gemm> load_scalesim_topology(const std::string& path);
std::vector<Gemm> parse_scalesim_topology(const std::string& text, const std::string& origin);

// The accelerator macforge simulates for a SCALE-Sim cfg: an int8 x int8
// array, 1 lane per PE (one MAC per cycle, as SCALE-Sim's PE), R x C and the
// dataflow of the cfg (is: the model's input-stationary mirror), buffers of
// the cfg's SRAM sizes, double buffered, and a DRAM of `Bandwidth` bytes per
// cycle (1-byte words). Throws gen::ConfigError when the generator cannot
// build the shape (more than 64 rows or columns).
LoadedConfig scalesim_accel_config(const ScaleSimConfig& sc);

// SCALE-Sim v2's stall-free cycles of one GEMM (count = 1) on an R x C array
// (scalesim/compute/systolic_compute_{os,ws,is}.py, memory/
// double_buffered_scratchpad_mem.py):
//   os: Sr = M, Sc = N, T = K;  fold = T + R + C - 2
//   ws: Sr = K, Sc = N, T = M;  fold = 2R + C + T - 2
//   is: Sr = K, Sc = M, T = N;  fold = 2R + C + T - 2
//   folds = ceil(Sr / R) * ceil(Sc / C);  cycles = folds * fold - 1
// (the "- 1": SCALE-Sim reports the index of the last demand row, from 0).
// cycles stays 0 when the count would not fit in 64 bits.
struct ScaleSimCycles {
  int64_t Sr = 0, Sc = 0, T = 0;
  int64_t folds = 0, fold_cycles = 0;
  int64_t cycles = 0;  // one run of the GEMM
};
ScaleSimCycles scalesim_cycles(int64_t R, int64_t C, Dataflow df, const Gemm& g);

// JSON report of `macforge sim --convention scalesim`: per layer its folds
// and cycles (count runs, each with its own "- 1"), and the total.
std::string scalesim_json(int rows, int cols, Dataflow df, const std::vector<Gemm>& gemms,
                          const std::string& source, const std::string& run_name);

}  // namespace macforge::sim
