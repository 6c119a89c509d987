#include "synth/energy.hpp"

#include <cstdio>

#include "synth/errors.hpp"
#include "synth/liberty_expr.hpp"

namespace macforge::synth {

EnergyParts& EnergyParts::operator+=(const EnergyParts& o) {
  switching += o.switching;
  internal += o.internal;
  clock += o.clock;
  leakage += o.leakage;
  return *this;
}

double WireModel::cap_pf(int fanout) const {
  if (fanout <= 0) return 0;
  if (wlm) return wlm->cap_pf(fanout);
  return cap_per_fanout_pf * fanout;
}

WireModel wire_model(const Library& lib) {
  WireModel w;
  if (const LibWireLoad* l = lib.wire_load()) {
    w.wlm = l;
    char buf[200];
    std::snprintf(buf, sizeof buf, "library wire_load \"%s\": %.3g pF per length unit, fanout 1 -> %.3g fF, fanout 4 -> %.3g fF",
                  l->name.c_str(), l->cap_per_len_pf, l->cap_pf(1) * 1e3, l->cap_pf(4) * 1e3);
    w.description = buf;
  } else {
    w.cap_per_fanout_pf = 0.28e-3;
    w.description = "built-in estimate (no wire_load in the library): 1.4 um of wire per fanout at 0.2 fF/um = 0.28 fF per fanout";
  }
  return w;
}

namespace {

// Internal energy per output toggle of pin `p` at load c: mean over related
// pins of the mean over `when` states of (rise + fall) / 2.
double output_internal(const LibPin& p, double slew, double c) {
  std::map<std::string, std::pair<double, int>> rel;
  for (const LibPowerArc& a : p.power) {
    if (a.related_pin.empty()) continue;
    double r = a.rise.empty() ? a.fall.lookup(slew, c) : a.rise.lookup(slew, c);
    double f = a.fall.empty() ? r : a.fall.lookup(slew, c);
    auto& e = rel[a.related_pin];
    e.first += 0.5 * (r + f);
    e.second += 1;
  }
  if (rel.empty()) return 0;
  double s = 0;
  for (auto& [k, v] : rel) s += v.first / v.second;
  return s / double(rel.size());
}

// Hidden energy per toggle of input pin p (arcs without related_pin).
double input_hidden(const LibPin& p, double slew) {
  double s = 0;
  int n = 0;
  for (const LibPowerArc& a : p.power) {
    if (!a.related_pin.empty()) continue;
    double r = a.rise.empty() ? a.fall.lookup(slew, 0) : a.rise.lookup(slew, 0);
    double f = a.fall.empty() ? r : a.fall.lookup(slew, 0);
    s += 0.5 * (r + f);
    ++n;
  }
  return n ? s / n : 0;
}

}  // namespace

bool is_clock_pin(const LibCell& c, const std::string& pin) {
  const LibPin* p = c.pin(pin);
  if (p && p->clock) return true;
  for (const LibSeq& s : c.seq) {
    std::string expr = s.latch ? s.enable : s.clocked_on;
    if (expr.empty()) continue;
    try {
      std::vector<std::string> v;
      parse_bool_expr(expr)->vars(v);
      for (const std::string& x : v)
        if (x == pin) return true;
    } catch (const ExprError&) {
    }
  }
  return false;
}

std::vector<double> net_capacitance(const FlatNetlist& n, const Library& lib, const WireModel& wm) {
  std::vector<int> po(size_t(n.nets), 0);
  for (const FlatPort& p : n.ports)
    if (!p.input)
      for (int x : p.nets)
        if (x >= 0) po[size_t(x)] += 1;
  double mean_pin = lib.mean_input_cap_pf();
  std::vector<double> c(size_t(n.nets), 0);
  for (int i = 0; i < n.nets; ++i) {
    double pins = 0;
    for (const auto& [ci, pin] : n.loads[size_t(i)]) {
      const LibCell* lc = n.cells[size_t(ci)].lib;
      if (!lc) continue;  // a black-box macro (the PE in an array): its pins are counted inside it
      const LibPin* p = lc->pin(pin);
      pins += p ? p->cap_pf : mean_pin;
    }
    int fo = int(n.loads[size_t(i)].size()) + (po[size_t(i)] ? 1 : 0);
    if (po[size_t(i)]) pins += mean_pin;
    c[size_t(i)] = pins + wm.cap_pf(fo);
  }
  return c;
}

EnergyResult compute_energy(const FlatNetlist& n, const Library& lib, const std::vector<double>& toggles,
                            int64_t cycles, int64_t macs, const EnergyParams& p) {
  if (int(toggles.size()) != n.nets) throw ToolError("internal: toggle vector does not match the netlist");
  EnergyResult r;
  r.cycles = cycles;
  r.macs = macs;
  r.clock_hz = p.clock_hz;
  r.voltage = lib.voltage;
  r.slew_ns = p.slew_ns;
  WireModel wm = wire_model(lib);
  r.wire_model = wm.description;
  const double V2 = lib.voltage * lib.voltage;
  std::vector<double> cap = net_capacitance(n, lib, wm);
  double tog_sum = 0, in_sum = 0;
  int tog_nets = 0, in_nets = 0;
  std::map<std::pair<const LibCell*, std::string>, bool> clock_pin;  // cache
  auto clock_of = [&](const LibCell* c, const std::string& pin) {
    auto key = std::make_pair(c, pin);
    auto it = clock_pin.find(key);
    if (it != clock_pin.end()) return it->second;
    return clock_pin[key] = is_clock_pin(*c, pin);
  };
  for (int i = 0; i < n.nets; ++i) {
    double t = toggles[size_t(i)];
    r.total_cap_pf += cap[size_t(i)];
    bool clock = false;
    for (const auto& [ci, pin] : n.loads[size_t(i)]) {
      const FlatCell& lc = n.cells[size_t(ci)];
      if (lc.lib && lc.seq && clock_of(lc.lib, pin)) clock = true;
    }
    int dc = n.driver_cell[size_t(i)];
    std::string part = dc >= 0 ? n.cells[size_t(dc)].part : (n.is_input[size_t(i)] ? "inputs" : "other");
    if (clock) {
      ++r.clock_nets;
      part = "registers";
    } else {
      tog_sum += t;
      ++tog_nets;
      if (n.is_input[size_t(i)]) {
        in_sum += t;
        ++in_nets;
      }
    }
    if (t == 0) continue;
    double esw = t * 0.5 * cap[size_t(i)] * V2;  // pF * V^2 = pJ
    EnergyParts& ep = r.by_part[part];
    if (clock) ep.clock += esw;
    else ep.switching += esw;
    // internal energy of the driving output
    if (dc >= 0) {
      const FlatCell& c = n.cells[size_t(dc)];
      if (const LibPin* op = c.lib ? c.lib->pin(n.driver_pin[size_t(i)]) : nullptr) {
        double e = t * output_internal(*op, p.slew_ns, cap[size_t(i)]);
        r.by_part[c.part].internal += e;
        if (c.seq) r.sequential += e;
      }
    }
    // hidden energy of the input pins on the net
    for (const auto& [ci, pin] : n.loads[size_t(i)]) {
      const FlatCell& lc = n.cells[size_t(ci)];
      const LibPin* ip = lc.lib ? lc.lib->pin(pin) : nullptr;
      if (!ip) continue;
      double e = input_hidden(*ip, p.slew_ns);
      if (e == 0) continue;
      if (clock) r.by_part["registers"].clock += t * e;
      else {
        r.by_part[lc.part].internal += t * e;
        if (lc.seq) r.sequential += t * e;
      }
    }
  }
  // leakage over the window: nW * s = 1e-9 J... -> pJ: nW * cycles / f * 1e3
  double t_s = p.clock_hz > 0 ? double(cycles) / p.clock_hz : 0;
  for (const FlatCell& c : n.cells)
    if (c.lib) {
      double e = c.lib->leakage_nw * 1e-9 * t_s * 1e12;
      r.by_part[c.part].leakage += e;
      if (c.seq) r.sequential += e;
    }
  for (auto& [k, v] : r.by_part) r.total += v;
  r.mean_toggle_rate = (tog_nets && cycles) ? tog_sum / double(tog_nets) / double(cycles) : 0;
  r.input_toggle_rate = (in_nets && cycles) ? in_sum / double(in_nets) / double(cycles) : 0;
  return r;
}

}  // namespace macforge::synth
