#include "synth/sta_power.hpp"

#include <cstdio>
#include <sstream>

#include "synth/errors.hpp"
#include "synth/process.hpp"
#include "synth/sta_run.hpp"

namespace macforge::synth {

std::string sta_power_script(const StaPowerJob& j) {
  std::ostringstream o;
  char buf[160];
  o << "# written by macforge (synth/sta_power.cpp): OpenSTA's power of the netlist macforge's energy model used\n";
  o << "read_liberty " << tcl_quote(j.liberty) << "\n";
  o << "read_verilog " << tcl_quote(j.name + ".v") << "\n";
  o << "link_design " << tcl_quote(j.module) << "\n";
  std::snprintf(buf, sizeof buf, "%.9g", j.period_ns);
  o << "create_clock -name clk -period " << buf << " [get_ports clk]\n";
  std::snprintf(buf, sizeof buf, "%.9g", j.input_slew_ns);
  o << "set_input_transition " << buf << " [all_inputs]\n";
  // Paths from unconstrained inputs have no clock, and OpenSTA would take the
  // activity of their pins per second instead of per clock period.
  o << "set_input_delay 0 -clock clk [delete_from_list [all_inputs] [get_ports clk]]\n";
  if (j.nominal_slews) o << "set_assigned_transition " << buf << " [get_pins */*]\n";
  for (const auto& [pin, c] : j.net_loads) {
    std::snprintf(buf, sizeof buf, "%.9g", c);
    o << "set_load " << buf << " [get_nets -of_objects [get_pins " << tcl_quote(pin) << "]]\n";
  }
  std::snprintf(buf, sizeof buf, "%.9g", j.activity);
  if (j.global) o << "set_power_activity -global -activity " << buf << " -duty 0.5\n";
  o << "set_power_activity -input -activity " << buf << " -duty 0.5\n";
  o << "report_power -digits 6\n";
  return o.str();
}

StaPower parse_sta_power(const std::string& log, const std::string& where) {
  StaPower r;
  bool seen[3] = {false, false, false};
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    char name[32];
    double a, b, c, d;
    if (std::sscanf(line.c_str(), "%31s %lf %lf %lf %lf", name, &a, &b, &c, &d) != 5) continue;
    std::string n = name;
    StaPowerGroup g{a, b, c};
    if (n == "Sequential") r.sequential = g, seen[0] = true;
    else if (n == "Combinational") r.combinational = g, seen[1] = true;
    else if (n == "Macro") r.macro = g;
    else if (n == "Pad") r.pad = g;
    else if (n == "Total") r.total = g, seen[2] = true;
  }
  if (!seen[0] || !seen[1] || !seen[2])
    throw ToolError("OpenSTA's report_power table (Sequential / Combinational / Total lines) not found in " + where);
  return r;
}

namespace {

// OpenSTA 2.0.17's activity propagation (no -global) crashes (SIGSEGV) on
// pins tied to 1'b0 / 1'b1; undriven wires instead get the default input
// activity on a handful of pins (10 of ~2600 in an 8-lane PE).
std::string untie_constants(std::string v) {
  size_t h = v.find(");\n", v.find("module "));
  if (h == std::string::npos) return v;
  bool any = false;
  for (const char* c : {"1'b0", "1'b1"}) {
    std::string w = std::string("mf_tie") + c[3];
    for (size_t p = v.find(c, h); p != std::string::npos; p = v.find(c, p + w.size())) {
      v.replace(p, 4, w);
      any = true;
    }
  }
  if (any) v.insert(h + 3, "  wire mf_tie0, mf_tie1;\n");
  return v;
}

}  // namespace

StaPower run_sta_power(const StaPowerJob& j) {
  write_text_atomic(j.dir + "/" + j.name + ".v", j.global ? j.netlist_verilog : untie_constants(j.netlist_verilog));
  StaRun run = run_sta(j.dir, j.name, sta_power_script(j));
  StaPower r = parse_sta_power(run.output, run.log_path);
  r.script_path = run.script_path;
  r.log_path = run.log_path;
  r.seconds = run.seconds;
  return r;
}

}  // namespace macforge::synth
