// macforge's energy model beside OpenSTA's report_power on the same mapped
// netlist and Liberty (docs/energy.md, "Cross-check with OpenSTA"):
//   uniform     every non-clock net toggles A per cycle in both tools
//               (OpenSTA -global -activity A): checks the Liberty reading and
//               the energy arithmetic;
//   vectorless  OpenSTA propagates the primary inputs' measured toggle rate
//               through the logic (-input -activity A_in) beside macforge's
//               simulated toggles: the gap is OpenSTA's propagation error
//               (independence of signals), and the glitches neither counts.
// Both are put in OpenSTA's accounting (pJ per clock cycle):
//   internal  = macforge internal (cell outputs, hidden power of data pins)
//             + the hidden power of flip-flop clock pins (macforge "clock");
//   switching = macforge switching of nets driven by cells;
//   leakage   = macforge leakage;
// and split into OpenSTA's groups (flip-flop instances "sequential", the
// rest "combinational"). OpenSTA has no term for nets driven by primary
// inputs (data inputs and the clock net); that energy is reported apart.
#pragma once

#include <string>
#include <vector>

#include "synth/energy.hpp"
#include "synth/liberty.hpp"
#include "synth/netlist.hpp"
#include "synth/sta_power.hpp"

namespace macforge::synth {

struct PowerKinds {
  double internal = 0, switching = 0, leakage = 0;  // pJ per clock cycle
  double total() const { return internal + switching + leakage; }
};

struct PowerSplit {
  PowerKinds sequential, combinational, total;
};

// macforge's energy in OpenSTA's accounting, and its internal energy by source.
struct MacforgePower {
  PowerSplit split;                // as macforge counts (Liberty: rise_power / fall_power per transition)
  PowerSplit sta2019;              // as OpenSTA 2.0.17 counts the same tables (see below)
  double output_internal = 0;      // pJ/cycle: internal energy of cell outputs
  double clock_pin_internal = 0;   // hidden power of flip-flop clock pins
  double data_pin_internal = 0;    // hidden power of the other input pins
  double input_net_switching = 0;  // switching OpenSTA has no term for: nets of data inputs (and undriven nets)
  double clock_net_switching = 0;  // ... and the clock net
};

// OpenSTA 2.0.17 (Debian's 2019 build) counts an internal_power arc as
// duty x (rise_power + fall_power) per transition of its pin, summed over the
// arcs: no average of rise and fall (later OpenSTA divides by the count,
// "energy /= tr_count; // average non-inf energies") and no normalization of
// the duties over the related pins (later: weight = duty / duty_sum). The duty
// of an arc is the probability of its `when`, or of the `when` OpenSTA infers
// from the pin function, else 1 on clock pins and 0.5 (read off
// `sta::set_debug power 2`; tests/synth/test_power_crosscheck.cpp counts a
// circuit by hand). `sta2019` is macforge's own table lookups (its load, slew
// and toggles) summed that way, so that the comparison checks the Liberty
// reading, loads and arithmetic rather than this convention.
MacforgePower macforge_power(const FlatNetlist& n, const Library& lib, const std::vector<double>& toggles,
                             int64_t cycles, const EnergyParams& p);

struct PowerCheck {
  std::string mode;           // "uniform" or "vectorless"
  double activity = 0;        // toggles per cycle: of every non-clock net (uniform), of the inputs (vectorless)
  MacforgePower mf;
  PowerSplit opensta;
  std::string sta_log;
  double sta_seconds = 0;
};

struct PowerCrosscheck {
  bool done = false;
  double clock_hz = 0;
  std::string wire_loads;     // how the wire capacitance reached OpenSTA
  PowerCheck uniform;
  bool has_vectorless = false;
  PowerCheck vectorless;
};

// The toggle vector of uniform activity: `a` x cycles on every net that is
// not a clock net, 2 x cycles (a rise and a fall per cycle) on the nets of
// flip-flop clock pins, as compute_energy finds them.
std::vector<double> uniform_toggles(const FlatNetlist& n, double a, int64_t cycles);

// Runs OpenSTA in DIR (power_<mode>.tcl / .log / .v). `liberty`: the file
// OpenSTA reads (the one Yosys mapped with). Throws ToolError.
PowerCheck check_power_uniform(const FlatNetlist& n, const Library& lib, const std::string& liberty,
                               const std::string& dir, double a, const EnergyParams& p);
PowerCheck check_power_vectorless(const FlatNetlist& n, const Library& lib, const std::string& liberty,
                                  const std::string& dir, const std::vector<double>& toggles, int64_t cycles,
                                  double input_rate, const EnergyParams& p);

// --activity: "sim" -> -1; "uniform:A" with 0 < A <= 1 -> A. Throws
// InputError (one line, the valid forms) otherwise.
double parse_activity(const std::string& s);

// The report sections: text (a table per check) and the JSON object
// "power_crosscheck" (per kind: macforge, macforge_sta2019, opensta, ratio).
std::string power_crosscheck_text(const PowerCrosscheck& x);
std::string power_crosscheck_json(const PowerCrosscheck& x);

// ratio = opensta / macforge (0 when macforge is 0)
double power_ratio(double macforge, double opensta);

}  // namespace macforge::synth
