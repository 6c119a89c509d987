// Energy of a gate-level netlist from its activity (docs/energy.md):
//   switching  per toggle of a net: 1/2 C V^2, C = sum of the input-pin
//              capacitances of its loads + a wire-load estimate (+ one mean
//              input pin for a primary output);
//   internal   per toggle of a cell output: the mean of the Liberty
//              rise_power and fall_power of its arcs (averaged over `when`
//              states, then over related pins) at a nominal input slew and
//              the net's load; per toggle of an input pin with hidden power
//              (internal_power without related_pin): the mean of its
//              rise/fall values;
//   clock      the switching of nets that drive flip-flop clock pins plus the
//              hidden power of those clock pins;
//   leakage    cell_leakage_power x the window time (cycles / clock frequency).
// The result is split by part (the driving cell's part; primary-input nets go
// to "inputs", clock energy to "registers").
#pragma once

#include <map>
#include <string>
#include <vector>

#include "synth/liberty.hpp"
#include "synth/netlist.hpp"

namespace macforge::synth {

struct WireModel {
  std::string description;
  const LibWireLoad* wlm = nullptr;   // the library's default wire_load, if any
  double cap_per_fanout_pf = 0;       // used without a wire_load
  double cap_pf(int fanout) const;
};

// The library's default wire_load model, or the built-in estimate of
// 0.28 fF per fanout (1.4 um of wire per fanout at 0.2 fF/um) for a library
// without one (macforge45).
WireModel wire_model(const Library& lib);

struct EnergyParams {
  double clock_hz = 1e9;
  double slew_ns = 0.1;  // nominal input transition for the power tables
};

struct EnergyParts {
  double switching = 0, internal = 0, clock = 0, leakage = 0;  // pJ
  double total() const { return switching + internal + clock + leakage; }
  EnergyParts& operator+=(const EnergyParts& o);
};

struct EnergyResult {
  int64_t cycles = 0, macs = 0;
  double clock_hz = 0, voltage = 0, slew_ns = 0;
  EnergyParts total;                          // pJ over the window
  std::map<std::string, EnergyParts> by_part;  // pJ over the window
  double mean_toggle_rate = 0;   // toggles per net per cycle over non-clock nets
  double input_toggle_rate = 0;  // the same over primary-input data nets
  int clock_nets = 0;
  double total_cap_pf = 0;       // sum of all net capacitances (clock nets included)
  // pJ over the window spent inside flip-flops and latches: the internal energy
  // of their outputs and of their non-clock input pins, and their leakage (their
  // clock-pin energy is in total.clock). Combinational-only energy (the Table 5
  // ablation, docs/int_vs_fp.md) = total - clock - sequential.
  double sequential = 0;
  std::string wire_model;
  double pj_per_mac() const { return macs > 0 ? total.total() / double(macs) : 0; }
  double pj_per_cycle() const { return cycles > 0 ? total.total() / double(cycles) : 0; }
};

// Whether `pin` of a sequential cell is its clock (`clock : true`, or a
// variable of the ff's clocked_on / the latch's enable).
bool is_clock_pin(const LibCell& c, const std::string& pin);

// Per-net capacitance (pF) as used for the switching energy.
std::vector<double> net_capacitance(const FlatNetlist& n, const Library& lib, const WireModel& wm);

// toggles: per net, over `cycles` cycles holding `macs` MACs.
EnergyResult compute_energy(const FlatNetlist& n, const Library& lib, const std::vector<double>& toggles,
                            int64_t cycles, int64_t macs, const EnergyParams& p);

}  // namespace macforge::synth
