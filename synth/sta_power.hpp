// OpenSTA's report_power on a mapped netlist (docs/energy.md, "Cross-check
// with OpenSTA"): the Tcl script and the parser of its table.
//
// What Debian's OpenSTA 2.0.17 (2019) does, measured on macforge PEs:
//   - `set_power_activity -activity A` is A transitions per clock period on
//     every pin whose clock OpenSTA finds through timing arcs (power scales
//     with 1/period); without timing arcs in the Liberty it would be per
//     second, so the library needs delay arcs (the built-in one has them);
//   - clock pins toggle 2 per period whatever -global says;
//   - power is counted per cell instance: switching of the nets its outputs
//     drive, internal power of its pins, leakage. Nets driven by primary
//     inputs (the clock net included) have no driving instance: no term;
//   - the Liberty wire_load models are not applied (set_wire_load_model with
//     sky130's "Huge" changes nothing), so net wire capacitance is given with
//     set_load on the nets.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace macforge::synth {

struct StaPowerGroup {
  double internal_w = 0, switching_w = 0, leakage_w = 0;  // watts
  double total_w() const { return internal_w + switching_w + leakage_w; }
};

struct StaPower {
  StaPowerGroup sequential, combinational, macro, pad, total;
  std::string script_path, log_path;
  double seconds = 0;
};

struct StaPowerJob {
  std::string dir, name;              // writes DIR/<name>.tcl, DIR/<name>.log, DIR/<name>.v
  std::string liberty;                // the Liberty file OpenSTA reads
  std::string netlist_verilog;        // sta_netlist_verilog text
  std::string module;
  double period_ns = 1.0;
  bool global = true;                 // true: -global -activity A on every pin; false: A at the inputs, propagated
  double activity = 0.1;              // transitions per clock period
  double input_slew_ns = 0.1;         // set_input_transition on the inputs (macforge's nominal slew)
  // set_assigned_transition input_slew_ns on every cell pin too: OpenSTA then
  // reads the power tables at macforge's nominal slew instead of the slews it
  // computes from the delay tables (docs/energy.md: IHP's internal power is
  // 3 to 7% higher at the computed slews)
  bool nominal_slews = true;
  // set_load on the net driven by "instance/pin": extra (wire) capacitance in pF
  std::vector<std::pair<std::string, double>> net_loads;
};

// The Tcl script of a job (the netlist is read from DIR/<name>.v).
std::string sta_power_script(const StaPowerJob& job);

// Parses report_power's group table; throws ToolError naming `where` when a
// line of it (Sequential, Combinational, Total) is missing.
StaPower parse_sta_power(const std::string& log, const std::string& where);

// Writes the netlist and script, runs sta (sta_run.hpp), parses the log.
StaPower run_sta_power(const StaPowerJob& job);

}  // namespace macforge::synth
