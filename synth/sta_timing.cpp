#include "synth/sta_timing.hpp"

#include <cstdio>
#include <deque>
#include <regex>
#include <set>
#include <sstream>
#include <vector>

#include "synth/errors.hpp"
#include "synth/partition.hpp"
#include "synth/process.hpp"
#include "synth/sta_netlist.hpp"
#include "synth/sta_run.hpp"

namespace macforge::synth {

const char* const kStaIoConstraints =
    "one clock of period T on clk (ideal: no latency, no skew); every other input arrives 0 ns after the "
    "clock edge and every output is captured at the next edge (input/output delay 0), no output load";

bool liberty_has_timing(const std::string& liberty_path) {
  // a textual check: the reader (liberty.hpp) keeps no timing groups, and
  // parsing a 10 MB PDK library a second time only for this costs seconds
  std::string t = read_text(liberty_path);
  return t.find("cell_rise") != std::string::npos || t.find("cell_fall") != std::string::npos;
}

double default_clock_ns(bool builtin, const std::string& lib_name) {
  if (builtin) return 1.0;
  (void)lib_name;  // sky130_fd_sc_hd, sg13g2_stdcell and unknown libraries: 5 ns (docs/timing.md)
  return 5.0;
}

std::string timing_tcl(const std::string& liberty, const std::string& netlist, const std::string& module,
                       double clock_ns, bool has_clk_port) {
  char period[64];
  std::snprintf(period, sizeof period, "%.6g", clock_ns);
  std::ostringstream o;
  o << "# written by macforge synth (synth/sta_timing.cpp); docs/timing.md\n"
    << "read_liberty " << tcl_quote(liberty) << "\n"
    << "read_verilog " << tcl_quote(netlist) << "\n"
    << "link_design " << tcl_quote(module) << "\n";
  if (has_clk_port) {
    o << "create_clock -name clk -period " << period << " [get_ports clk]\n"
      << "set_input_delay 0 -clock clk [delete_from_list [all_inputs] [get_ports clk]]\n";
  } else {
    o << "create_clock -name clk -period " << period << "\n"
      << "set_input_delay 0 -clock clk [all_inputs]\n";
  }
  o << "set_output_delay 0 -clock clk [all_outputs]\n"
    << "report_checks -path_delay max -group_count 1 -digits 6\n";
  return o.str();
}

namespace {

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(" \t\r");
  return s.substr(a, b - a + 1);
}

// "Startpoint: NAME (description)" -> NAME
std::string point_name(const std::string& line) {
  std::string s = trim(line.substr(line.find(':') + 1));
  size_t p = s.find(" (");
  return p == std::string::npos ? s : s.substr(0, p);
}

}  // namespace

TimingPath parse_report_checks(const std::string& text, const std::string& log_path) {
  TimingPath tp;
  std::istringstream in(text);
  std::string line;
  bool have_start = false, have_end = false, have_arrival = false, have_required = false, have_slack = false;
  bool in_data_path = false;
  // "   0.123456    0.456789 ^ inst/PIN (CELL)" : delay, time, edge, pin, cell
  static const std::regex pin_line(R"(^\s*-?[0-9.]+\s+-?[0-9.]+\s+[\^v]\s+(\S+)\s+\(([^)]*)\)\s*$)");
  static const std::regex value_line(R"(^\s*(-?[0-9.]+)\s+(data arrival time|data required time|slack \((MET|VIOLATED)\)))");
  while (std::getline(in, line)) {
    if (have_slack) break;  // only the first (worst) path
    if (line.rfind("Startpoint:", 0) == 0) {
      tp.startpoint = point_name(line);
      have_start = true;
      in_data_path = true;
      continue;
    }
    if (line.rfind("Endpoint:", 0) == 0) {
      tp.endpoint = point_name(line);
      have_end = true;
      continue;
    }
    std::smatch m;
    if (std::regex_search(line, m, value_line)) {
      double v = std::stod(m[1].str());
      std::string what = m[2].str();
      if (what == "data arrival time") {
        if (!have_arrival) tp.arrival_ns = v;
        have_arrival = true;
        in_data_path = false;
      } else if (what == "data required time") {
        if (!have_required) tp.required_ns = v;
        have_required = true;
      } else {
        tp.slack_ns = v;
        have_slack = true;
      }
      continue;
    }
    if (in_data_path && have_end && std::regex_match(line, m, pin_line)) {
      std::string pin = m[1].str();
      std::string inst = pin.substr(0, pin.rfind('/'));
      if (pin.find('/') == std::string::npos) continue;  // a port
      size_t sep = inst.rfind("__");
      if (sep == std::string::npos || sep == 0) continue;
      std::string part = inst.substr(0, sep);
      if (tp.parts.empty() || tp.parts.back() != part) tp.parts.push_back(part);
    }
  }
  if (!(have_start && have_end && have_arrival && have_required && have_slack)) {
    if (text.find("No paths found") != std::string::npos)
      throw ToolError("OpenSTA found no constrained path (no flip-flop and no clocked port?) (log: " + log_path + ")");
    throw ToolError("cannot read OpenSTA's report_checks output (log: " + log_path + ")");
  }
  return tp;
}

StaTiming time_netlist(const FlatNetlist& n, const std::string& module, const std::string& liberty,
                       double clock_ns, const std::string& dir, const std::string& name) {
  StaTiming t;
  t.netlist_path = dir + "/" + name + ".v";
  write_text_atomic(t.netlist_path, sta_netlist_verilog(n, module));
  bool has_clk = false;
  for (const FlatPort& p : n.ports)
    if (p.input && p.name == "clk" && p.width == 1) has_clk = true;
  StaRun r = run_sta(dir, name, timing_tcl(liberty, name + ".v", module, clock_ns, has_clk));
  t.log_path = r.log_path;
  t.seconds = r.seconds;
  t.path = parse_report_checks(r.output, r.log_path);
  return t;
}

NlDesign inline_pe(const NlDesign& array, const NlDesign& pe) {
  NlDesign d;
  std::set<std::string> names;
  for (const NlModule& m : pe.modules) names.insert(m.name);
  for (const NlModule& m : array.modules)
    if (!names.count(m.name)) d.modules.push_back(m);
    else if (!m.blackbox)
      throw NetlistError("array and PE netlists both define module " + m.name);
  for (const NlModule& m : pe.modules) d.modules.push_back(m);
  return d;
}

void mark_pe_cells(FlatNetlist& n, const NlDesign& d, const std::string& pe_module) {
  std::set<std::string> pe_insts;
  for (const NlModule& m : d.modules)
    for (const NlInst& i : m.insts)
      if (i.type == pe_module) pe_insts.insert(i.name);
  // flatten joins instance names with '.', and a Yosys name may hold dots
  // itself (generate blocks), so try every dot-delimited run of the path
  for (FlatCell& c : n.cells) {
    std::vector<size_t> cut{0};
    for (size_t i = 0; i < c.path.size(); ++i)
      if (c.path[i] == '.') cut.push_back(i + 1);
    cut.push_back(c.path.size() + 1);
    bool in_pe = false;
    for (size_t a = 0; a + 1 < cut.size() && !in_pe; ++a)
      for (size_t b = a + 1; b + 1 < cut.size() && !in_pe; ++b)  // the last run is the cell itself
        in_pe = pe_insts.count(c.path.substr(cut[a], cut[b] - 1 - cut[a])) > 0;
    if (in_pe) c.part = "pe_" + c.part;
  }
}

FlatNetlist interface_model(const FlatNetlist& pe) {
  size_t nc = pe.cells.size();
  std::vector<char> keep(nc, 0);  // 1: on an interface path, 2: a side load only
  std::vector<bool> seen(size_t(pe.nets), false);
  std::deque<int> q;
  auto push = [&](int x) {
    if (x >= 0 && !seen[size_t(x)]) {
      seen[size_t(x)] = true;
      q.push_back(x);
    }
  };
  // forward from the inputs (the clock net would reach every flip-flop)
  for (const FlatPort& p : pe.ports)
    if (p.input && p.name != "clk")
      for (int x : p.nets) push(x);
  while (!q.empty()) {
    int x = q.front();
    q.pop_front();
    for (const auto& [ci, pin] : pe.loads[size_t(x)]) {
      keep[size_t(ci)] = 1;
      if (pe.cells[size_t(ci)].seq) continue;  // a path ends at a flip-flop
      for (const FlatPin& fp : pe.cells[size_t(ci)].pins)
        if (fp.output) push(fp.net);
    }
  }
  // backward from the outputs
  std::fill(seen.begin(), seen.end(), false);
  for (const FlatPort& p : pe.ports)
    if (!p.input)
      for (int x : p.nets) push(x);
  while (!q.empty()) {
    int x = q.front();
    q.pop_front();
    int ci = pe.driver_cell[size_t(x)];
    if (ci < 0) continue;
    keep[size_t(ci)] = 1;
    if (pe.cells[size_t(ci)].seq) continue;  // a path starts at a flip-flop
    for (const FlatPin& fp : pe.cells[size_t(ci)].pins)
      if (!fp.output) push(fp.net);
  }
  // side loads: everything else on a net a kept cell drives or reads
  for (size_t ci = 0; ci < nc; ++ci) {
    if (keep[ci] != 1) continue;
    for (const FlatPin& fp : pe.cells[ci].pins)
      if (fp.net >= 0)
        for (const auto& [lc, pin] : pe.loads[size_t(fp.net)])
          if (!keep[size_t(lc)]) keep[size_t(lc)] = 2;
  }
  // the reduced netlist, nets renumbered densely
  FlatNetlist m;
  m.top = pe.top;
  std::vector<int> id(size_t(pe.nets), -1);
  auto net = [&](int x) {
    if (x < 0) return x;
    if (id[size_t(x)] < 0) id[size_t(x)] = m.nets++;
    return id[size_t(x)];
  };
  for (const FlatPort& p : pe.ports) {
    FlatPort np = p;
    for (int& x : np.nets) x = net(x);
    m.ports.push_back(np);
  }
  for (size_t ci = 0; ci < nc; ++ci) {
    if (!keep[ci]) continue;
    FlatCell c = pe.cells[ci];
    std::vector<FlatPin> pins;
    for (const FlatPin& fp : c.pins) {
      if (keep[ci] == 2 && fp.output) continue;  // a side load drives nothing
      FlatPin np = fp;
      np.net = net(fp.net);
      pins.push_back(np);
    }
    c.pins = pins;
    m.cells.push_back(std::move(c));
  }
  m.driver_cell.assign(size_t(m.nets), -1);
  m.driver_pin.assign(size_t(m.nets), "");
  m.is_input.assign(size_t(m.nets), false);
  m.loads.assign(size_t(m.nets), {});
  for (const FlatPort& p : m.ports)
    if (p.input)
      for (int x : p.nets)
        if (x >= 0) m.is_input[size_t(x)] = true;
  for (size_t ci = 0; ci < m.cells.size(); ++ci)
    for (const FlatPin& fp : m.cells[ci].pins) {
      if (fp.net < 0) continue;
      if (fp.output) {
        m.driver_cell[size_t(fp.net)] = int(ci);
        m.driver_pin[size_t(fp.net)] = fp.pin;
      } else {
        m.loads[size_t(fp.net)].push_back({int(ci), fp.pin});
      }
    }
  return m;
}

std::string sta_part_of_instance(const std::string& first_instance) {
  size_t sep = first_instance.rfind("__");
  if (sep != std::string::npos && sep > 0 && sep + 2 < first_instance.size() &&
      first_instance.find_first_not_of("0123456789", sep + 2) == std::string::npos) {
    std::string p = first_instance.substr(0, sep);
    for (const std::string& k : kParts)
      if (k == p) return p;
  }
  return part_of_instance(first_instance);
}

}  // namespace macforge::synth
