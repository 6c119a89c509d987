// Static timing with OpenSTA (docs/timing.md): the Tcl script that
// constrains a netlist written by sta_netlist_verilog (one clock of period
// T on `clk`, input and output delays 0 against it) and asks for the worst
// setup path, and the parser of OpenSTA's `report_checks` text (the 2019
// Debian build has no machine-readable output).
#pragma once

#include <string>

#include "synth/flow.hpp"
#include "synth/netlist.hpp"

namespace macforge::synth {

// The I/O constraint, one sentence for reports (docs/timing.md explains it).
extern const char* const kStaIoConstraints;

// Whether a Liberty file has delay tables (any cell_rise / cell_fall). A
// library without them still gives area and energy; timing is unavailable.
bool liberty_has_timing(const std::string& liberty_path);

// The default constraint T of a library when --clock-ns is not given:
// 1.0 ns for the built-in macforge45, 5.0 ns for sky130_fd_sc_hd and IHP
// sg13g2 (recognized by the library name), 5.0 ns for any other library.
double default_clock_ns(bool builtin, const std::string& lib_name);

// The OpenSTA script: read the Liberty and netlist, link `module`, clock
// `clk` (a virtual clock when has_clk_port is false), I/O delays, and one
// `report_checks -path_delay max` (the worst setup path, 6 digits).
std::string timing_tcl(const std::string& liberty, const std::string& netlist, const std::string& module,
                       double clock_ns, bool has_clk_port);

// The worst path of a `report_checks` report. parts: the part of every
// instance on the path (the text before the last "__" of the instance
// names sta_netlist_verilog gives), in path order, repeats merged. Throws
// ToolError (naming `log_path`) when the text has no complete path ("No
// paths found." -- e.g. no flip-flop and no constrained port).
TimingPath parse_report_checks(const std::string& text, const std::string& log_path);

// Times one flat netlist: writes DIR/<name>.v (sta_netlist_verilog),
// DIR/<name>.tcl, runs OpenSTA into DIR/<name>.log and parses the worst path.
// Throws ToolError naming the log.
struct StaTiming {
  TimingPath path;
  std::string netlist_path, log_path;
  double seconds = 0;
};
StaTiming time_netlist(const FlatNetlist& n, const std::string& module, const std::string& liberty,
                       double clock_ns, const std::string& dir, const std::string& name);

// The array netlist (the PE a black box) with the PE's synthesized modules
// added in place of the black box, for flatten() to inline every PE.
NlDesign inline_pe(const NlDesign& array, const NlDesign& pe);
// The PE's interface logic model for the array run: the cells on paths from
// the PE's inputs (except clk) up to the first flip-flops and from the last
// flip-flops to its outputs (input-to-output paths too), plus every cell
// loading a net of those paths, with its outputs left open, so that each
// kept net has its full load. Paths between the PE's own registers are left
// out: the PE run times them. The arrival times of every path through the
// PE boundary are the same as with the whole PE netlist.
FlatNetlist interface_model(const FlatNetlist& pe);
// part_of_instance, and also the part in instance names `<part>__<n>` of
// sta_netlist_verilog (the interface model is read back from that text).
std::string sta_part_of_instance(const std::string& first_instance);

// Prefixes "pe_" to the part of every cell inside an instance of module
// `pe_module` (array timing: which parts of the path are in a PE).
void mark_pe_cells(FlatNetlist& n, const NlDesign& d, const std::string& pe_module);

}  // namespace macforge::synth
