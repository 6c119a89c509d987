#include "synth/power_crosscheck.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "synth/errors.hpp"
#include "synth/liberty_expr.hpp"
#include "synth/report.hpp"
#include "synth/sta_netlist.hpp"

namespace macforge::synth {

namespace {

// Nets on flip-flop clock pins: compute_energy's clock nets.
std::vector<bool> clock_nets(const FlatNetlist& n) {
  std::vector<bool> clk(size_t(n.nets), false);
  for (const FlatCell& c : n.cells)
    if (c.lib && c.seq)
      for (const FlatPin& p : c.pins)
        if (!p.output && p.net >= 0 && is_clock_pin(*c.lib, p.pin)) clk[size_t(p.net)] = true;
  return clk;
}

PowerKinds per_cycle(const EnergyParts& e, double cycles) {
  return {e.internal / cycles, e.switching / cycles, e.leakage / cycles};
}

PowerKinds sta_kinds(const StaPowerGroup& g, double clock_hz) {
  const double k = 1e12 / clock_hz;  // W -> pJ per cycle
  return {g.internal_w * k, g.switching_w * k, g.leakage_w * k};
}

PowerCheck run_check(const FlatNetlist& n, const Library& lib, const std::string& liberty, const std::string& dir,
                     const std::vector<double>& toggles, int64_t cycles, const EnergyParams& p, bool global,
                     double activity) {
  PowerCheck r;
  r.mode = global ? "uniform" : "vectorless";
  r.activity = activity;
  r.mf = macforge_power(n, lib, toggles, cycles, p);

  StaPowerJob j;
  j.dir = dir;
  j.name = "power_" + r.mode;
  j.liberty = liberty;
  j.module = n.top.empty() ? "mf_top" : n.top;
  j.netlist_verilog = sta_netlist_verilog(n, j.module);
  j.period_ns = 1e9 / p.clock_hz;
  j.global = global;
  j.activity = activity;
  j.input_slew_ns = p.slew_ns;
  // OpenSTA counts the load pins itself; it gets macforge's wire estimate
  // (and the one mean input pin macforge puts on a primary output) as net load.
  std::vector<double> cap = net_capacitance(n, lib, wire_model(lib));
  for (int i = 0; i < n.nets; ++i) {
    int dc = n.driver_cell[size_t(i)];
    if (dc < 0 || !n.cells[size_t(dc)].lib) continue;
    double pins = 0;
    for (const auto& [ci, pin] : n.loads[size_t(i)]) {
      const LibCell* lc = n.cells[size_t(ci)].lib;
      const LibPin* lp = lc ? lc->pin(pin) : nullptr;
      if (lp) pins += lp->cap_pf;
    }
    double extra = cap[size_t(i)] - pins;
    if (extra > 1e-12)
      j.net_loads.push_back({sta_instance_name(n, size_t(dc)) + "/" + n.driver_pin[size_t(i)], extra});
  }
  StaPower s = run_sta_power(j);
  r.opensta.sequential = sta_kinds(s.sequential, p.clock_hz);
  r.opensta.combinational = sta_kinds(s.combinational, p.clock_hz);
  r.opensta.total = sta_kinds(s.total, p.clock_hz);
  r.sta_log = s.log_path;
  r.sta_seconds = s.seconds;
  return r;
}

// OpenSTA 2.0.17's weight ("duty") of one internal_power arc, with every
// input at duty 0.5 and independent: the probability of the arc's `when`, or
// of the `when` its Liberty reader infers from the pin function when the arc
// has none (the related pin an operand of the top-level AND / OR / XOR after
// stripping inversions: AND -> the other operand, OR and XOR -> its negation;
// the function being the pin itself -> 1); otherwise 1 for a clock pin, 0.5.
// Read off `sta::set_debug power 2` on every cell of the built-in library.
double prob(const BoolExpr& e) {
  switch (e.kind) {
    case BoolExpr::Var: return 0.5;
    case BoolExpr::Const: return e.value ? 1.0 : 0.0;
    case BoolExpr::Not: return 1.0 - prob(*e.args.at(0));
    case BoolExpr::And: {
      double p = 1;
      for (const auto& a : e.args) p *= prob(*a);
      return p;
    }
    case BoolExpr::Or: {
      double q = 1;
      for (const auto& a : e.args) q *= 1 - prob(*a);
      return 1 - q;
    }
    case BoolExpr::Xor: {
      double p = prob(*e.args.at(0));
      for (size_t i = 1; i < e.args.size(); ++i) {
        double b = prob(*e.args[i]);
        p = p * (1 - b) + b * (1 - p);
      }
      return p;
    }
  }
  return 0.5;
}

bool port_ref(const BoolExpr& e, const std::string& pin) {
  if (e.kind == BoolExpr::Var) return e.name == pin;
  return e.kind == BoolExpr::Not && e.args.at(0)->kind == BoolExpr::Var && e.args[0]->name == pin;
}

double sta2019_duty(const LibCell& cell, const LibPin& out, const LibPowerArc& a) {
  try {
    if (!a.when.empty()) return prob(*parse_bool_expr(a.when));
    if (!a.related_pin.empty() && !out.function.empty()) {
      BoolExprPtr f = parse_bool_expr(out.function);
      while (f->kind == BoolExpr::Not) f = f->args.at(0);
      if (f->kind == BoolExpr::Var && f->name == a.related_pin) return 1.0;
      if ((f->kind == BoolExpr::And || f->kind == BoolExpr::Or || f->kind == BoolExpr::Xor) && f->args.size() >= 2) {
        // OpenSTA's parser is binary and left-associative: (a & b) & c
        BoolExpr left = *f;
        left.args.pop_back();
        const BoolExpr& right = *f->args.back();
        const BoolExpr* other = nullptr;
        if (port_ref(right, a.related_pin)) other = left.args.size() == 1 ? left.args[0].get() : &left;
        else if (left.args.size() == 1 && port_ref(*left.args[0], a.related_pin)) other = &right;
        if (other) return f->kind == BoolExpr::And ? prob(*other) : 1.0 - prob(*other);
      }
    }
  } catch (const ExprError&) {
  }
  const std::string& clk = a.related_pin.empty() ? out.name : a.related_pin;
  return is_clock_pin(cell, clk) ? 1.0 : 0.5;
}

// Internal energy per toggle of `pin` as OpenSTA 2.0.17 counts it: the sum
// over its arcs of duty x (rise + fall) (no average of rise and fall, no
// normalization of the duties). `output`: arcs with a related pin at load c;
// else the hidden arcs at load 0.
double sta2019_pin_energy(const LibCell& cell, const LibPin& pin, bool output, double slew, double c) {
  double s = 0;
  for (const LibPowerArc& a : pin.power) {
    if (a.related_pin.empty() == output) continue;
    double r = a.rise.empty() ? a.fall.lookup(slew, c) : a.rise.lookup(slew, c);
    double f = a.fall.empty() ? r : a.fall.lookup(slew, c);
    s += sta2019_duty(cell, pin, a) * (r + f);
  }
  return s;
}

}  // namespace

std::vector<double> uniform_toggles(const FlatNetlist& n, double a, int64_t cycles) {
  std::vector<bool> clk = clock_nets(n);
  std::vector<double> t(size_t(n.nets));
  for (int i = 0; i < n.nets; ++i) t[size_t(i)] = (clk[size_t(i)] ? 2.0 : a) * double(cycles);
  return t;
}

MacforgePower macforge_power(const FlatNetlist& n, const Library& lib, const std::vector<double>& toggles,
                             int64_t cycles, const EnergyParams& p) {
  if (cycles <= 0) throw ToolError("internal: power split over no cycles");
  // OpenSTA's groups are cell classes: relabel every cell's part by it.
  FlatNetlist m = n;
  for (FlatCell& c : m.cells) c.part = c.seq ? "seq" : "comb";
  EnergyResult e = compute_energy(m, lib, toggles, cycles, 1, p);
  // Without drivers only the hidden power of input pins stays internal.
  FlatNetlist h = m;
  std::fill(h.driver_cell.begin(), h.driver_cell.end(), -1);
  EnergyResult eh = compute_energy(h, lib, toggles, cycles, 1, p);
  std::vector<bool> clk = clock_nets(n);
  std::vector<double> cap = net_capacitance(n, lib, wire_model(lib));
  double clk_sw = 0;
  for (int i = 0; i < n.nets; ++i)
    if (clk[size_t(i)]) clk_sw += toggles[size_t(i)] * 0.5 * cap[size_t(i)] * lib.voltage * lib.voltage;
  const double cyc = double(cycles);
  auto part = [](const EnergyResult& r, const char* k) { return r.by_part.count(k) ? r.by_part.at(k) : EnergyParts{}; };
  MacforgePower r;
  PowerSplit& s = r.split;
  s.sequential = per_cycle(part(e, "seq"), cyc);
  s.combinational = per_cycle(part(e, "comb"), cyc);
  // compute_energy puts the clock energy (clock-net switching + clock-pin
  // hidden power) under "registers"; OpenSTA has the pins' share as the
  // flip-flops' internal power and no term for the net.
  r.clock_pin_internal = (e.total.clock - clk_sw) / cyc;
  r.clock_net_switching = clk_sw / cyc;
  s.sequential.internal += r.clock_pin_internal;
  double other_sw = 0;  // nets without a driving cell: primary inputs, undriven nets
  for (const auto& [k, v] : e.by_part)
    if (k != "seq" && k != "comb") other_sw += v.switching;
  r.input_net_switching = other_sw / cyc;
  double hid_seq = part(eh, "seq").internal / cyc, hid_comb = part(eh, "comb").internal / cyc;
  r.data_pin_internal = hid_seq + hid_comb;
  r.output_internal = e.total.internal / cyc - r.data_pin_internal;
  auto totals = [](PowerSplit& x) {
    x.total.internal = x.sequential.internal + x.combinational.internal;
    x.total.switching = x.sequential.switching + x.combinational.switching;
    x.total.leakage = x.sequential.leakage + x.combinational.leakage;
  };
  totals(s);
  r.sta2019 = s;
  double in_seq = 0, in_comb = 0;
  for (int i = 0; i < n.nets; ++i) {
    double t = toggles[size_t(i)];
    if (t == 0) continue;
    int dc = n.driver_cell[size_t(i)];
    if (dc >= 0 && n.cells[size_t(dc)].lib) {
      const FlatCell& c = n.cells[size_t(dc)];
      if (const LibPin* op = c.lib->pin(n.driver_pin[size_t(i)]))
        (c.seq ? in_seq : in_comb) += t * sta2019_pin_energy(*c.lib, *op, true, p.slew_ns, cap[size_t(i)]);
    }
    for (const auto& [ci, pin] : n.loads[size_t(i)]) {
      const FlatCell& c = n.cells[size_t(ci)];
      if (const LibPin* ip = c.lib ? c.lib->pin(pin) : nullptr)
        (c.seq ? in_seq : in_comb) += t * sta2019_pin_energy(*c.lib, *ip, false, p.slew_ns, 0);
    }
  }
  r.sta2019.sequential.internal = in_seq / cyc;
  r.sta2019.combinational.internal = in_comb / cyc;
  totals(r.sta2019);
  return r;
}

PowerCheck check_power_uniform(const FlatNetlist& n, const Library& lib, const std::string& liberty,
                               const std::string& dir, double a, const EnergyParams& p) {
  const int64_t cycles = 1000;
  return run_check(n, lib, liberty, dir, uniform_toggles(n, a, cycles), cycles, p, true, a);
}

PowerCheck check_power_vectorless(const FlatNetlist& n, const Library& lib, const std::string& liberty,
                                  const std::string& dir, const std::vector<double>& toggles, int64_t cycles,
                                  double input_rate, const EnergyParams& p) {
  return run_check(n, lib, liberty, dir, toggles, cycles, p, false, input_rate);
}

double parse_activity(const std::string& s) {
  if (s == "sim") return -1;
  const std::string pre = "uniform:";
  if (s.compare(0, pre.size(), pre) == 0) {
    const std::string v = s.substr(pre.size());
    char* end = nullptr;
    double a = v.empty() ? 0 : std::strtod(v.c_str(), &end);
    if (end && *end == 0 && a > 0 && a <= 1) return a;
  }
  throw InputError("--activity '" + s + "': expected sim or uniform:A with A in (0, 1] toggles per net per cycle");
}

double power_ratio(double macforge, double opensta) { return macforge != 0 ? opensta / macforge : 0; }

namespace {

std::string f4(double v) {
  char b[64];
  std::snprintf(b, sizeof b, "%.4f", v);
  return b;
}

const char* kKinds[] = {"internal", "switching", "leakage", "total"};

double kind(const PowerKinds& k, int i) {
  return i == 0 ? k.internal : i == 1 ? k.switching : i == 2 ? k.leakage : k.total();
}

std::string check_text(const PowerCheck& c) {
  std::ostringstream o;
  char buf[200];
  if (c.mode == "uniform")
    o << "  (a) uniform activity " << c.activity << " toggles per net per cycle in both tools (OpenSTA -global)\n";
  else
    o << "  (b) OpenSTA vectorless from the inputs' measured rate " << f4(c.activity)
      << " per cycle, beside macforge's simulated toggles\n";
  std::snprintf(buf, sizeof buf, "    %-24s %10s %12s %10s %8s\n", "pJ/cycle", "macforge", "as STA 2019", "OpenSTA",
                "ratio");
  o << buf;
  const PowerSplit& a = c.mf.split;
  const PowerSplit& b = c.mf.sta2019;
  const PowerSplit& s = c.opensta;
  for (int g = 0; g < 3; ++g) {
    const char* gn = g == 0 ? "sequential" : g == 1 ? "combinational" : "total";
    const PowerKinds& ka = g == 0 ? a.sequential : g == 1 ? a.combinational : a.total;
    const PowerKinds& kb = g == 0 ? b.sequential : g == 1 ? b.combinational : b.total;
    const PowerKinds& ks = g == 0 ? s.sequential : g == 1 ? s.combinational : s.total;
    for (int i = 0; i < 4; ++i) {
      std::string label = std::string(gn) + " " + kKinds[i];
      std::snprintf(buf, sizeof buf, "    %-24s %10.4f %12.4f %10.4f %8.3f\n", label.c_str(), kind(ka, i), kind(kb, i),
                    kind(ks, i), power_ratio(kind(kb, i), kind(ks, i)));
      o << buf;
    }
  }
  o << "    not in OpenSTA (nets driven by ports): data inputs " << f4(c.mf.input_net_switching) << ", clock net "
    << f4(c.mf.clock_net_switching) << " pJ/cycle\n";
  o << "    log: " << c.sta_log << "\n";
  return o.str();
}

std::string kinds_json(const PowerKinds& m, const PowerKinds& m19, const PowerKinds& s) {
  std::ostringstream o;
  o << "{";
  for (int i = 0; i < 4; ++i)
    o << (i ? ", " : "") << json_str(kKinds[i]) << ": {\"macforge\": " << json_num(kind(m, i))
      << ", \"macforge_sta2019\": " << json_num(kind(m19, i)) << ", \"opensta\": " << json_num(kind(s, i))
      << ", \"ratio\": " << json_num(power_ratio(kind(m19, i), kind(s, i))) << "}";
  o << "}";
  return o.str();
}

std::string check_json(const PowerCheck& c) {
  std::ostringstream o;
  o << "{\"activity_mode\": " << json_str(c.mode) << ", \"activity\": " << json_num(c.activity)
    << ",\n      \"total\": " << kinds_json(c.mf.split.total, c.mf.sta2019.total, c.opensta.total)
    << ",\n      \"sequential\": " << kinds_json(c.mf.split.sequential, c.mf.sta2019.sequential, c.opensta.sequential)
    << ",\n      \"combinational\": "
    << kinds_json(c.mf.split.combinational, c.mf.sta2019.combinational, c.opensta.combinational)
    << ",\n      \"macforge_internal_pj_per_cycle\": {\"outputs\": " << json_num(c.mf.output_internal)
    << ", \"clock_pins\": " << json_num(c.mf.clock_pin_internal) << ", \"data_pins\": " << json_num(c.mf.data_pin_internal)
    << "}, \"not_in_opensta_pj_per_cycle\": {\"input_nets\": " << json_num(c.mf.input_net_switching)
    << ", \"clock_net\": " << json_num(c.mf.clock_net_switching) << "}, \"sta_log\": " << json_str(c.sta_log) << "}";
  return o.str();
}

}  // namespace

std::string power_crosscheck_text(const PowerCrosscheck& x) {
  if (!x.done) return "";
  std::ostringstream o;
  o << "\npower cross-check with OpenSTA report_power (pJ per cycle at " << x.clock_hz / 1e9
    << " GHz; ratio = OpenSTA / macforge as OpenSTA 2.0.17 counts internal energy, docs/energy.md):\n";
  o << check_text(x.uniform);
  if (x.has_vectorless) o << check_text(x.vectorless);
  o << "  wires: " << x.wire_loads << "\n";
  return o.str();
}

std::string power_crosscheck_json(const PowerCrosscheck& x) {
  if (!x.done) return "null";
  std::ostringstream o;
  o << "{\"unit\": \"pJ per clock cycle\", \"clock_hz\": " << json_num(x.clock_hz)
    << ", \"wire_loads\": " << json_str(x.wire_loads) << ",\n    \"uniform\": " << check_json(x.uniform)
    << ",\n    \"vectorless\": " << (x.has_vectorless ? check_json(x.vectorless) : "null") << "}";
  return o.str();
}

}  // namespace macforge::synth
