#include "synth/report.hpp"

#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>

#include "synth/flow.hpp"
#include "synth/partition.hpp"

namespace macforge::synth {

std::string json_str(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\t': o += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", c);
          o += b;
        } else {
          o += c;
        }
    }
  }
  return o + "\"";
}

std::string json_num(double v) {
  if (!std::isfinite(v)) return "null";
  std::ostringstream s;
  s << std::setprecision(10) << v;
  return s.str();
}

namespace {

std::string fx(double v, int prec) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(prec) << v;
  return s.str();
}

template <class M>
std::string json_map(const M& m) {
  std::string s = "{";
  bool first = true;
  for (const auto& [k, v] : m) {
    s += (first ? "" : ", ") + json_str(k) + ": " + json_num(double(v));
    first = false;
  }
  return s + "}";
}

// parts in report order, then anything else
std::vector<std::string> part_order(const std::map<std::string, double>& m) {
  std::vector<std::string> v;
  for (const std::string& p : kParts)
    if (m.count(p)) v.push_back(p);
  for (const auto& [k, x] : m) {
    bool known = false;
    for (const std::string& p : kParts) known |= p == k;
    if (!known) v.push_back(k);
  }
  return v;
}

std::string energy_json(const EnergyResult& e) {
  std::ostringstream o;
  o << "{\"cycles\": " << e.cycles << ", \"macs\": " << e.macs << ", \"energy_pj_per_mac\": " << json_num(e.pj_per_mac())
    << ", \"energy_pj_per_cycle\": " << json_num(e.pj_per_cycle()) << ", \"mean_toggle_rate\": "
    << json_num(e.mean_toggle_rate) << ", \"input_toggle_rate\": " << json_num(e.input_toggle_rate)
    << ", \"by_kind_pj_per_mac\": {\"switching\": " << json_num(e.total.switching / double(e.macs))
    << ", \"internal\": " << json_num(e.total.internal / double(e.macs)) << ", \"clock\": "
    << json_num(e.total.clock / double(e.macs)) << ", \"leakage\": " << json_num(e.total.leakage / double(e.macs))
    << "}, \"by_part_pj_per_mac\": {";
  bool first = true;
  for (const auto& [k, v] : e.by_part) {
    o << (first ? "" : ", ") << json_str(k) << ": " << json_num(v.total() / double(e.macs));
    first = false;
  }
  o << "}}";
  return o.str();
}

// A multi-format PE (docs/synthesis.md "Multi-format PEs"): the reuse scheme
// and one entry per mode; per-MAC figures of that mode's lanes.
std::string modes_json(const SynthReport& r) {
  std::ostringstream o;
  o << "  \"reuse\": " << json_str(r.reuse) << ",\n  \"modes\": [";
  for (size_t i = 0; i < r.modes.size(); ++i) {
    const ModeReport& m = r.modes[i];
    const PeEnergy& pe = m.pe_energy;
    const DesignEnergy& d = m.energy;
    const int macs = r.pe_count * m.lanes;
    auto en = [&](double v, bool have) { return have ? json_num(v) : std::string("null"); };
    o << (i ? ",\n    " : "\n    ") << "{\"mode\": " << m.mode << ", \"a\": " << json_str(m.a) << ", \"b\": " << json_str(m.b)
      << ", \"lanes\": " << m.lanes << ", \"group\": " << m.group << ", \"macs_per_cycle\": " << macs
      << ", \"area_um2_per_mac_per_cycle\": " << json_num(r.area_um2 / double(macs))
      << ",\n     \"energy_pj_per_mac\": " << en(d.pj_per_mac, pe.done)
      << ", \"energy_uniform_pj_per_mac\": " << en(d.uniform_pj_per_mac, pe.done && pe.has_uniform)
      << ", \"energy_combinational_pj_per_mac\": " << en(d.combinational_pj_per_mac, pe.done)
      << ", \"pe_energy_pj_per_cycle\": " << en(pe.realistic.pj_per_cycle(), pe.done)
      << ",\n     \"energy_by_part_pj_per_mac\": " << json_map(d.by_part_pj_per_mac)
      << ", \"energy_by_kind_pj_per_mac\": " << json_map(d.by_kind_pj_per_mac)
      << ",\n     \"mean_toggle_rate\": " << en(d.mean_toggle_rate, pe.done)
      << ", \"input_toggle_rate\": " << en(pe.realistic.input_toggle_rate, pe.done)
      << ", \"results_checked\": " << pe.results_checked << ", \"stimulus\": " << json_str(pe.stimulus) << "}";
  }
  o << "\n  ],\n";
  return o.str();
}

// The per-mode table of the text report.
std::string modes_text(const SynthReport& r) {
  std::ostringstream o;
  o << "\nmodes (pe.reuse " << r.reuse << "; one shared PE, " << fx(r.area_um2, 1) << " um^2):\n";
  o << "  | mode | formats | lanes | um^2 per MAC/cycle | pJ/MAC realistic | pJ/MAC uniform | pJ/cycle (PE) | results checked |\n";
  o << "  |---|---|---|---|---|---|---|---|\n";
  for (const ModeReport& m : r.modes) {
    const PeEnergy& pe = m.pe_energy;
    auto en = [&](double v, bool have) { return have ? fx(v, 4) : std::string("-"); };
    o << "  | " << m.mode << " | " << m.a << " x " << m.b << " | " << m.lanes << " | "
      << fx(r.area_um2 / double(r.pe_count * m.lanes), 1) << " | " << en(m.energy.pj_per_mac, pe.done) << " | "
      << en(m.energy.uniform_pj_per_mac, pe.done && pe.has_uniform) << " | "
      << en(pe.realistic.pj_per_cycle(), pe.done) << " | " << pe.results_checked << " |\n";
  }
  o << "  (energy per MAC in mode m = energy per cycle in mode m / lanes_m; top-level figures are mode 0's)\n";
  return o.str();
}

}  // namespace

std::string path_json(const TimingPath& p) {
  std::ostringstream o;
  o << "{\"startpoint\": " << json_str(p.startpoint) << ", \"endpoint\": " << json_str(p.endpoint)
    << ", \"arrival_ns\": " << json_num(p.arrival_ns) << ", \"required_ns\": " << json_num(p.required_ns)
    << ", \"slack_ns\": " << json_num(p.slack_ns) << ", \"parts\": [";
  for (size_t i = 0; i < p.parts.size(); ++i) o << (i ? ", " : "") << json_str(p.parts[i]);
  o << "]}";
  return o.str();
}

// the adder architecture and its candidates (synth/adders.hpp)
std::string adders_json(const AdderChoice& a) {
  std::ostringstream o;
  o << "{\"mode\": " << json_str(adder_mode_name(a.mode)) << ", \"chosen\": " << json_str(adder_name(a.chosen))
    << ", \"reason\": " << json_str(a.reason) << ", \"candidates\": [";
  for (size_t i = 0; i < a.candidates.size(); ++i) {
    const AdderCandidate& c = a.candidates[i];
    auto num = [&](double v) { return c.timed ? json_num(v) : std::string("null"); };
    o << (i ? ", " : "") << "{\"adders\": " << json_str(adder_name(c.arch)) << ", \"pe_area_um2\": " << json_num(c.area_um2)
      << ", \"critical_path_ns\": " << num(c.critical_path_ns) << ", \"slack_ns\": " << num(c.slack_ns)
      << ", \"timing_met\": " << (c.timed ? (c.met ? "true" : "false") : "null") << "}";
  }
  o << "]}";
  return o.str();
}

// static timing (docs/timing.md): the four summary numbers null when unavailable
std::string timing_json(const TimingReport& t, const AdderChoice& a) {
  auto num = [&](double v) { return t.available ? json_num(v) : std::string("null"); };
  std::ostringstream o;
  o << "  \"critical_path_ns\": " << num(t.critical_path_ns) << ",\n";
  o << "  \"fmax_mhz\": " << num(t.fmax_mhz) << ",\n";
  o << "  \"slack_ns\": " << num(t.slack_ns) << ",\n";
  o << "  \"timing_met\": " << (t.available ? (t.met ? "true" : "false") : "null") << ",\n";
  o << "  \"timing\": {\"available\": " << (t.available ? "true" : "false");
  if (!t.available) o << ", \"unavailable_reason\": " << json_str(t.unavailable_reason);
  o << ", \"tool\": \"OpenSTA\", \"clock_ns\": " << json_num(t.clock_ns)
    << ", \"io_constraints\": " << json_str(t.io_constraints) << ",\n    \"adders\": " << adders_json(a);
  if (t.available) {
    o << ",\n    \"pe_path\": " << path_json(t.pe_path);
    if (t.has_array_path) o << ",\n    \"array_path\": " << path_json(t.array_path);
    o << ",\n    \"sta_log\": " << json_str(t.sta_log) << ", \"seconds\": " << json_num(t.seconds);
  }
  o << "},\n";
  return o.str();
}

std::string path_text(const TimingPath& p) {
  std::string parts;
  for (const std::string& x : p.parts) parts += (parts.empty() ? "" : " -> ") + x;
  return p.startpoint + " -> " + p.endpoint + ", arrival " + fx(p.arrival_ns, 3) + " ns, slack " +
         fx(p.slack_ns, 3) + " ns\n      through: " + (parts.empty() ? "(no cells)" : parts) + "\n";
}

std::string report_json(const SynthReport& r) {
  std::ostringstream o;
  o << "{\n";
  o << "  \"schema\": \"macforge-synth-1\",\n";
  o << "  \"design\": " << json_str(r.cfg.name) << ",\n";
  o << "  \"config\": " << r.cfg.canonical_json() << ",\n";
  o << "  \"top\": " << json_str(r.top) << ",\n";
  o << "  \"kind\": " << json_str(r.array ? (r.flat ? "array-flat" : "array") : "pe") << ",\n";
  o << "  \"library\": {\"name\": " << json_str(r.lib_name) << ", \"source\": " << json_str(r.lib_source)
    << ", \"builtin\": " << (r.lib_builtin ? "true" : "false") << ", \"yosys_liberty\": " << json_str(r.lib_yosys)
    << ", \"template\": " << json_str(r.template_name) << ", \"dont_use_added\": " << r.dont_use_added
    << ", \"voltage_v\": " << json_num(r.voltage) << ", \"units\": " << json_str(r.lib_units)
    << ", \"cell_models\": " << json_str(r.models) << "},\n";
  o << "  \"area_um2\": " << json_num(r.area_um2) << ",\n";
  o << "  \"area_by_part_um2\": " << json_map(r.area_by_part) << ",\n";
  o << "  \"cells\": {\"total\": " << r.cells << ", \"by_type\": " << json_map(r.cells_by_type) << "},\n";
  o << "  \"flops\": " << r.flops << ",\n";
  o << "  \"logic_depth\": " << r.logic_depth << ",\n";
  o << "  \"pe_count\": " << r.pe_count << ",\n";
  o << "  \"lanes\": " << r.lanes << ",\n";
  o << "  \"macs_per_cycle\": " << r.pe_count * r.lanes << ",\n";
  o << "  \"clock_hz\": " << json_num(r.clock_hz) << ",\n";
  o << "  \"energy_pj_per_mac\": " << (r.pe_energy.done ? json_num(r.energy_pj_per_mac) : "null") << ",\n";
  o << "  \"energy_uniform_pj_per_mac\": "
    << (r.pe_energy.done && r.pe_energy.has_uniform ? json_num(r.energy_uniform_pj_per_mac) : "null") << ",\n";
  // area_scope: combinational (flow.hpp): flip-flops, their internal/leakage
  // energy and the clock nets left out.
  o << "  \"area_combinational_um2\": " << json_num(r.area_combinational_um2) << ",\n";
  o << "  \"energy_combinational_pj_per_mac\": "
    << (r.pe_energy.done ? json_num(r.energy_combinational_pj_per_mac) : "null") << ",\n";
  o << "  \"energy_by_part_pj_per_mac\": " << json_map(r.energy_by_part_pj_per_mac) << ",\n";
  o << "  \"energy_by_kind_pj_per_mac\": " << json_map(r.energy_by_kind_pj_per_mac) << ",\n";
  o << "  \"mean_toggle_rate\": " << json_num(r.mean_toggle_rate) << ",\n";
  o << "  \"energy_method\": " << json_str(r.energy_method) << ",\n";
  o << "  \"fused_multipliers_and_tree\": " << (r.fused_mul_tree ? "true" : "false") << ",\n";
  if (!r.modes.empty()) o << modes_json(r);
  o << "  \"pe\": {\"top\": " << json_str(r.pe_top) << ", \"area_um2\": " << json_num(r.pe.area_um2)
    << ", \"area_yosys_um2\": " << json_num(r.pe_area_yosys) << ", \"area_by_part_um2\": " << json_map(r.pe.area_by_part)
    << ", \"cells\": " << r.pe.cells << ", \"flops\": " << r.pe.flops << ", \"logic_depth\": " << r.pe.logic_depth
    << ", \"nets\": " << r.pe.nets;
  if (r.pe_energy.done) {
    const EnergyResult& e = r.pe_energy.realistic;
    o << ",\n    \"energy\": {\"clock_hz\": " << json_num(e.clock_hz) << ", \"voltage_v\": " << json_num(e.voltage)
      << ", \"input_slew_ns\": " << json_num(e.slew_ns) << ", \"wire_model\": " << json_str(e.wire_model)
      << ", \"results_checked\": " << r.pe_energy.results_checked << ", \"nets_without_counter\": "
      << r.pe_energy.missing_nets << ",\n      \"realistic\": " << energy_json(e) << ",\n      \"realistic_stimulus\": "
      << json_str(r.pe_energy.stimulus);
    if (r.pe_energy.has_uniform)
      o << ",\n      \"uniform\": " << energy_json(r.pe_energy.uniform) << ",\n      \"uniform_stimulus\": "
        << json_str(r.pe_energy.stimulus_uniform);
    o << "}";
  }
  o << "},\n";
  if (r.array && !r.flat)
    o << "  \"array_level\": {\"area_um2\": " << json_num(r.glue.area_um2) << ", \"area_yosys_um2\": "
      << json_num(r.array_area_yosys) << ", \"area_by_part_um2\": " << json_map(r.glue.area_by_part)
      << ", \"cells\": " << r.glue.cells - r.pe_count << ", \"flops\": " << r.glue.flops - r.pe_count << "},\n";
  if (r.flat) o << "  \"array_area_yosys_um2\": " << json_num(r.array_area_yosys) << ",\n";
  o << "  \"activity\": " << json_str(r.activity_mode) << ",\n";
  o << "  \"power_crosscheck\": " << power_crosscheck_json(r.power_crosscheck) << ",\n";
  o << "  \"adders\": " << json_str(adder_name(r.adders.chosen)) << ",\n";
  o << timing_json(r.timing, r.adders);
  o << "  \"timing_s\": {\"generate\": " << json_num(r.t_generate) << ", \"yosys_pe\": " << json_num(r.t_yosys_pe)
    << ", \"yosys_array\": " << json_num(r.t_yosys_array) << ", \"verilator_build\": " << json_num(r.t_verilator)
    << ", \"simulation\": " << json_num(r.t_sim) << ", \"sta\": " << json_num(r.t_sta)
    << ", \"total\": " << json_num(r.t_total) << "},\n";
  o << "  \"files\": {\"dir\": " << json_str(r.out_dir) << ", \"yosys_log\": " << json_str(r.yosys_log)
    << ", \"yosys_array_log\": " << json_str(r.yosys_array_log) << ", \"pe_netlist\": " << json_str(r.pe_netlist)
    << ", \"array_netlist\": " << json_str(r.array_netlist) << "}\n";
  o << "}\n";
  return o.str();
}

std::string report_text(const SynthReport& r) {
  std::ostringstream o;
  o << "macforge synth: " << r.cfg.name << " (" << r.cfg.a_name << " x " << r.cfg.b_name << ", " << r.cfg.lanes
    << " lanes";
  for (size_t i = 1; i < r.modes.size(); ++i)
    o << "; mode " << r.modes[i].mode << " " << r.modes[i].a << " x " << r.modes[i].b << ", " << r.modes[i].lanes
      << " lanes; pe.reuse " << r.reuse;
  if (r.array) o << ", " << r.cfg.rows << "x" << r.cfg.cols << " " << gen::dataflow_name(r.cfg.dataflow) << " array";
  o << ")\n";
  o << "library: " << r.lib_name << (r.lib_builtin ? " (built-in)" : "") << ", " << fx(r.voltage, 2) << " V, "
    << r.template_name << (r.dont_use_added ? ", " + std::to_string(r.dont_use_added) + " cells marked dont_use" : "")
    << "\n\n";
  o << "design " << r.top << ": area " << fx(r.area_um2, 1) << " um^2, " << r.cells << " cells, " << r.flops
    << " flip-flops, logic depth " << r.logic_depth;
  if (r.array) o << ", " << r.pe_count << " PEs" << (r.flat ? " (flat synthesis)" : "");
  o << "\n";
  o << "\n  area by part                          um^2       %\n";
  for (const std::string& p : part_order(r.area_by_part)) {
    double a = r.area_by_part.at(p);
    std::string t = part_title(p);
    if (p == "multipliers" && r.fused_mul_tree) t = "lane multipliers + adder tree";
    t.resize(34, ' ');
    o << "  " << t << std::setw(12) << fx(a, 1) << std::setw(8) << fx(100.0 * a / r.area_um2, 1) << "\n";
  }
  if (r.fused_mul_tree)
    o << "  (INT x INT: the lane products and the adder tree form one carry-save sum, synthesized as one part)\n";
  if (r.flat) o << "  (flat synthesis: no parts)\n";
  o << "\n  cells by type:";
  int k = 0;
  for (const auto& [t, n] : r.cells_by_type) o << (k++ % 4 == 0 ? "\n    " : "  ") << t << " " << n;
  o << "\n";
  if (r.array && !r.flat)
    o << "\n  PE " << r.pe_top << ": " << fx(r.pe.area_um2, 1) << " um^2 each (Yosys: " << fx(r.pe_area_yosys, 1)
      << "), array level " << fx(r.glue.area_um2, 1) << " um^2\n";
  {
    const TimingReport& t = r.timing;
    o << "\ntiming (OpenSTA, clock " << fx(t.clock_ns, 3) << " ns): ";
    if (!t.available) {
      o << "unavailable: " << t.unavailable_reason << "\n";
    } else {
      o << "critical path " << fx(t.critical_path_ns, 3) << " ns, fmax " << fx(t.fmax_mhz, 1) << " MHz, slack "
        << fx(t.slack_ns, 3) << " ns, " << (t.met ? "met" : "NOT met") << "\n";
      o << "  PE path:    " << path_text(t.pe_path);
      if (t.has_array_path) o << "  array path: " << path_text(t.array_path);
      o << "  constraints: " << t.io_constraints << "\n  log: " << t.sta_log << "\n";
    }
  }
  {
    // one line: the adder architecture and, with auto, both candidates
    const AdderChoice& a = r.adders;
    o << "adders: " << adder_name(a.chosen) << " (" << adder_mode_name(a.mode) << ": " << a.reason;
    if (a.candidates.size() > 1)
      for (const AdderCandidate& c : a.candidates)
        o << "; " << adder_name(c.arch) << " PE " << fx(c.area_um2, 1) << " um^2, critical path "
          << fx(c.critical_path_ns, 3) << " ns";
    o << ")\n";
  }
  if (r.pe_energy.done) {
    const EnergyResult& e = r.pe_energy.realistic;
    o << "\nenergy at " << fx(e.clock_hz / 1e9, 2) << " GHz, " << fx(e.voltage, 2) << " V: " << fx(r.energy_pj_per_mac, 4)
      << (r.activity_mode.empty() || r.activity_mode == "sim" ? " pJ/MAC realistic" : " pJ/MAC at " + r.activity_mode + " (no simulation)");
    if (r.pe_energy.has_uniform) o << ", " << fx(r.energy_uniform_pj_per_mac, 4) << " pJ/MAC uniform codes";
    o << "\n  mean toggle rate " << fx(r.mean_toggle_rate, 4) << " per net per cycle; " << r.pe_energy.results_checked
      << " results checked against the reference\n";
    o << "  by kind:";
    for (const auto& [kk, v] : r.energy_by_kind_pj_per_mac) o << "  " << kk << " " << fx(v, 4);
    o << "  (pJ/MAC)\n  by part (pJ/MAC):\n";
    for (const std::string& p : part_order(r.energy_by_part_pj_per_mac)) {
      std::string t = part_title(p);
      t.resize(34, ' ');
      o << "    " << t << std::setw(10) << fx(r.energy_by_part_pj_per_mac.at(p), 4) << "\n";
    }
    o << "  method: " << r.energy_method << "\n  wires: " << e.wire_model << "\n";
  }
  if (!r.modes.empty()) o << modes_text(r);
  o << power_crosscheck_text(r.power_crosscheck);
  o << "\ntime: yosys " << fx(r.t_yosys_pe + r.t_yosys_array, 1) << " s, verilator " << fx(r.t_verilator, 1)
    << " s, simulation " << fx(r.t_sim, 1) << " s, sta " << fx(r.t_sta, 1) << " s, total " << fx(r.t_total, 1)
    << " s\n";
  // the chosen adder candidate's files (yosys_prefix.log, ... when auto kept the second)
  auto base = [](const std::string& p, const char* dflt) {
    return p.empty() ? std::string(dflt) : p.substr(p.find_last_of('/') + 1);
  };
  o << "files: " << r.out_dir << "/{report.json, report.txt, " << base(r.yosys_log, "yosys.log")
    << (r.array ? ", yosys_array.log" : "") << ", " << base(r.pe_netlist, "pe_netlist.v")
    << (r.array ? ", array_netlist.v" : "") << "}\n";
  return o.str();
}

}  // namespace macforge::synth
