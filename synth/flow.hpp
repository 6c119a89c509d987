// The whole `macforge synth` run for one configuration (docs/synthesis.md):
//   1. generate the Verilog (gen::generate) into DIR/rtl;
//   2. prepare the library (lib_prep.hpp);
//   3. synthesize the PE, partitioned into parts (DIR/synth_pe.ys,
//      DIR/yosys.log, DIR/pe_netlist.v), measure and time its netlist; with
//      --adders auto a second, prefix-adder candidate when the ripple one
//      misses the clock (DIR/*_prefix.*), and keep one (synth/adders.hpp);
//   4. simulate the PE netlist on realistic and uniform operand streams
//      (DIR/sim) and compute energy per MAC;
//   5. unless pe_only: synthesize the array around the PE, with the PE as a
//      black box (DIR/synth_array.ys, DIR/yosys_array.log), and count the PE
//      area per instance; or, with flat, the whole array flattened (a check);
//   6. DIR/report.json and DIR/report.txt, written only when everything
//      succeeded (earlier reports are removed first).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "gen/config.hpp"
#include "synth/adders.hpp"
#include "synth/energy.hpp"
#include "synth/lib_prep.hpp"
#include "synth/netlist_stats.hpp"
#include "synth/power_crosscheck.hpp"

namespace macforge::synth {

// Static timing of a mapped netlist by OpenSTA (synth/sta_*.hpp, docs/timing.md).
struct TimingPath {
  std::string startpoint, endpoint;        // OpenSTA's names (instance/pin or port)
  double arrival_ns = 0, required_ns = 0;  // data arrival and required time at the endpoint
  double slack_ns = 0;
  std::vector<std::string> parts;          // parts (partition.hpp kParts) the path runs through, in order
};

struct TimingReport {
  bool available = false;       // false: the Liberty has no timing arcs (unavailable_reason says so)
  std::string unavailable_reason;
  double clock_ns = 0;          // the constraint T
  double critical_path_ns = 0;  // the worst register-to-register / I/O path delay (PE, or array if larger)
  double fmax_mhz = 0;          // 1000 / critical_path_ns
  double slack_ns = 0;          // worst slack at T (negative: violated)
  bool met = false;             // slack_ns >= 0
  TimingPath pe_path;           // worst path of the PE
  bool has_array_path = false;
  TimingPath array_path;        // worst path of the whole array (PE netlists inlined)
  std::string io_constraints;   // how inputs/outputs were constrained (docs/timing.md)
  std::string sta_log;          // OpenSTA log(s)
  double seconds = 0;           // OpenSTA wall time
};

struct SynthOptions {
  std::string liberty;      // "" = the built-in macforge45
  std::string out_dir;
  bool energy = true;
  bool uniform = true;      // also the uniform-code worst case
  bool pe_only = false;
  bool flat = false;        // the array flattened in one Yosys run, no PE black box
  int cycles = 2048;        // data cycles per stimulus
  uint64_t seed = 1;
  double clock_hz = 1e9;
  double clock_ns = 0;      // timing constraint T; 0: the library's default (1.0 ns built-in)
  bool timing = true;       // run OpenSTA after mapping
  AdderMode adders = AdderMode::Auto;  // adder architecture (synth/adders.hpp); the array uses the PE's
  int jobs = 1;             // make -j of the Verilator build
  // "sim": toggles from the gate-level simulation; "uniform:A": every non-clock
  // net toggles A per clock cycle, no simulation (synth/power_crosscheck.hpp)
  std::string activity = "sim";
  bool crosscheck_power = false;   // OpenSTA report_power beside the energy model
  double crosscheck_activity = 0.2;  // A of the uniform cross-check unless activity is uniform:A
  const PreparedLibrary* prepared = nullptr;  // reuse a prepared library (compare)
};

struct PeEnergy {
  bool done = false;
  EnergyResult realistic, uniform;
  bool has_uniform = false;
  std::string stimulus, stimulus_uniform;
  int results_checked = 0;
  int missing_nets = 0;
};

// Energy of the reported design (the PE, or the array around it) in one mode,
// per MAC of that mode (docs/energy.md).
struct DesignEnergy {
  double pj_per_mac = 0, uniform_pj_per_mac = 0, combinational_pj_per_mac = 0;
  std::map<std::string, double> by_part_pj_per_mac, by_kind_pj_per_mac;
  double mean_toggle_rate = 0;
};

// One mode of a multi-format PE (docs/synthesis.md "Multi-format PEs"): the
// gate-level simulation with in_mode held at `mode` on that mode's data.
struct ModeReport {
  int mode = 0;
  std::string a, b;  // format names
  int lanes = 0, group = 0;
  PeEnergy pe_energy;   // the PE's simulation in this mode
  DesignEnergy energy;  // the reported design, per MAC of this mode
};

struct SynthReport {
  gen::ArrayConfig cfg;
  std::string out_dir;
  // library
  std::string lib_name, lib_source, lib_yosys, template_name, models;
  bool lib_builtin = false;
  int dont_use_added = 0;
  double voltage = 0;
  std::string lib_units;
  // the PE
  std::string pe_top;
  int lanes = 0;
  bool fused_mul_tree = false;  // INT x INT: the adder tree is synthesized with the multipliers
  NetlistStats pe;
  double pe_area_yosys = -1;  // "Chip area for top module" of the log (cross-check)
  PeEnergy pe_energy;  // a multi-format PE: mode 0's (modes[0].pe_energy)
  // multi-format PE (pe.modes): the reuse scheme and every mode; empty otherwise
  std::string reuse;
  std::vector<ModeReport> modes;
  // the design reported (the array, or the PE with pe_only)
  bool array = false;
  bool flat = false;
  std::string top;
  int pe_count = 1;
  NetlistStats glue;          // array level without the PEs (hierarchical)
  double array_area_yosys = -1;
  double area_um2 = 0;
  std::map<std::string, double> area_by_part;
  std::map<std::string, int> cells_by_type;
  int cells = 0, flops = 0, logic_depth = 0;
  // area_scope: combinational (the paper's Table 5 counts logic only): the area
  // without flip-flops/latches, the energy without the clock nets (wire + clock
  // pins) and without the flip-flops' internal and leakage energy
  // (EnergyResult::sequential); report.json has null energy without a simulation.
  double area_combinational_um2 = 0, energy_combinational_pj_per_mac = 0;
  // energy of the reported design
  double energy_pj_per_mac = 0, energy_uniform_pj_per_mac = 0;
  std::map<std::string, double> energy_by_part_pj_per_mac;
  std::map<std::string, double> energy_by_kind_pj_per_mac;
  double mean_toggle_rate = 0;
  double clock_hz = 0;
  std::string energy_method;
  std::string activity_mode;  // "sim" or "uniform:A"
  PowerCrosscheck power_crosscheck;  // --crosscheck-power
  // the adder architecture chosen for the PE (and used by the array level)
  AdderChoice adders;
  // static timing (OpenSTA)
  TimingReport timing;
  // timing, seconds
  double t_sta = 0, t_generate = 0, t_yosys_pe = 0, t_yosys_array = 0, t_verilator = 0, t_sim = 0, t_total = 0;
  // files
  std::string yosys_log, yosys_array_log, pe_netlist, array_netlist, report_json, report_txt;
};

SynthReport run_synth(const gen::ArrayConfig& cfg, const SynthOptions& opt);

// Prepares DIR: creates it, or accepts an empty one or an earlier macforge
// synth output (marker file), whose reports are removed. Throws ToolError otherwise.
void prepare_out_dir(const std::string& dir);

// prepare_library(liberty, dir) for a DIR that prepare_out_dir just made
// ready; if the library is bad and DIR did not exist before (dir_is_new),
// DIR is removed before the error is rethrown, so nothing is left behind.
PreparedLibrary prepare_library_or_remove_dir(const std::string& liberty, const std::string& dir, bool dir_is_new);

}  // namespace macforge::synth
