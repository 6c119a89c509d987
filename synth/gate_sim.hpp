// Gate-level simulation of a synthesized PE with Verilator 5.006, counting the
// toggles of every net (docs/energy.md "Activity"):
// - the flattened netlist is written as one module with one scalar wire per
//   net, named n<id> (FlatNetlist net ids), so that Verilator's toggle
//   coverage (--coverage-toggle) has exactly one counter per net; Verilator
//   does not cover signals whose name starts with '_', which Yosys uses;
// - a wrapper registers every PE input on the clock edge (like the upstream
//   registers of an array), so inputs and internal flip-flops change at the
//   same edge and each net settles once per cycle (zero-delay activity);
// - coverage is off in the cell models (a .vlt file), zeroed after reset and
//   written after the last data cycle: a counter is the number of value
//   changes of the net in the window (a rise and a fall count one each;
//   checked on a hand-made circuit in tests/synth);
// - the outputs are checked against the reference (stimulus.hpp).
#pragma once

#include <string>
#include <vector>

#include "synth/netlist.hpp"
#include "synth/stimulus.hpp"

namespace macforge::synth {

struct GateSim {
  std::string dir;         // DIR/sim
  std::string exe;         // the compiled simulator
  double build_seconds = 0;
  std::string build_log;
};

struct Activity {
  std::vector<double> toggles;  // per net id, in the measured window
  int64_t cycles = 0;           // cycles in the window
  int64_t macs = 0;
  int missing_nets = 0;         // nets without a coverage counter (counted as 0)
  double seconds = 0;           // simulation wall time
  int results = 0;              // outputs checked against the reference
};

// The simulation netlist text (exposed for tests): module mf_gate_dut (the
// flat netlist) and mf_gate_top (registered inputs, clk, out_valid, out_acc).
std::string sim_netlist_verilog(const FlatNetlist& n, const std::vector<StimPort>& inputs);

// Writes DIR/sim/{gate.v, cells.v, coverage.vlt, tb.cpp} and builds the
// simulator with Verilator (jobs: make -j). Throws ToolError naming
// DIR/sim/verilator.log on failure.
GateSim build_gate_sim(const FlatNetlist& n, const std::vector<StimPort>& inputs, const std::string& models_verilog,
                       const std::string& dir, int jobs);

// Runs one stimulus (files DIR/sim/<tag>.*), checks the outputs, returns the
// toggles. Throws ToolError on a simulator failure or a wrong result.
Activity run_gate_sim(const GateSim& sim, const FlatNetlist& n, const Stimulus& s, const std::string& tag);

// Parses a Verilator coverage .dat file: toggles of the signals named n<id>
// (exposed for tests). Returns counts indexed by id (size nets), and the
// number of ids without a counter.
std::vector<double> parse_toggle_coverage(const std::string& path, int nets, int& missing);

}  // namespace macforge::synth
