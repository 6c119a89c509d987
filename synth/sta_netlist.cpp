#include "synth/sta_netlist.hpp"

#include <cctype>
#include <set>
#include <sstream>
#include <vector>

namespace macforge::synth {

namespace {

bool simple_identifier(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$')) return false;
  return true;
}

// Verilog escaped identifier when needed (the trailing space ends it).
std::string vname(const std::string& s) { return simple_identifier(s) ? s : "\\" + s + " "; }

std::string part_token(const std::string& part) {
  if (part.empty()) return "top";
  std::string t;
  for (char c : part) t += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  // "__" separates part and index; keep it unique in the name
  std::string u;
  for (char c : t)
    if (!(c == '_' && !u.empty() && u.back() == '_')) u += c;
  return u;
}

}  // namespace

std::string sta_instance_name(const FlatNetlist& n, size_t index) {
  return part_token(n.cells.at(index).part) + "__" + std::to_string(index);
}

int sta_instance_cell(const std::string& instance_or_pin) {
  std::string s = instance_or_pin.substr(0, instance_or_pin.find('/'));
  size_t p = s.rfind("__");
  if (p == std::string::npos || p + 2 >= s.size()) return -1;
  int v = 0;
  for (size_t i = p + 2; i < s.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return -1;
    if (v > 100000000) return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

std::string sta_netlist_verilog(const FlatNetlist& n, const std::string& module) {
  for (const FlatCell& c : n.cells)
    if (!c.lib)
      throw NetlistError("STA netlist of " + module + ": instance " + c.path + " (" + c.type +
                         ") is a black box; flatten with its module inlined");
  std::set<std::string> port_names;
  for (const FlatPort& p : n.ports) port_names.insert(p.name);
  // Net names: the first top-port bit on the net (inputs first, so that an
  // output that only repeats an input becomes an assign), else an internal wire.
  std::vector<std::string> name(size_t(n.nets));
  auto bit_name = [](const FlatPort& p, int k) {
    return p.width == 1 ? vname(p.name) : vname(p.name) + "[" + std::to_string(k) + "]";
  };
  for (int pass = 0; pass < 2; ++pass)
    for (const FlatPort& p : n.ports) {
      if (p.input != (pass == 0)) continue;
      for (int k = 0; k < int(p.nets.size()); ++k) {
        int x = p.nets[size_t(k)];
        if (x >= 0 && name[size_t(x)].empty()) name[size_t(x)] = bit_name(p, k);
      }
    }
  std::string wprefix = "mf_n";
  for (const std::string& pn : port_names)
    while (pn.compare(0, wprefix.size(), wprefix) == 0) wprefix += "_";
  std::vector<bool> is_wire(size_t(n.nets), false);
  // outputs nothing reads (e.g. an unused full-adder sum) keep their wire,
  // declared apart under a lint waiver (verilator -Wall: UNUSEDSIGNAL)
  std::vector<bool> dangling(size_t(n.nets), false);
  for (int x = 0; x < n.nets; ++x)
    dangling[size_t(x)] = name[size_t(x)].empty() && n.loads[size_t(x)].empty();
  for (int x = 0; x < n.nets; ++x)
    if (name[size_t(x)].empty()) {
      name[size_t(x)] = wprefix + std::to_string(x);
      is_wire[size_t(x)] = true;
    }
  auto net_text = [&](int x) -> std::string {
    if (x == -1) return "1'b0";
    if (x == -2) return "1'b1";
    return name[size_t(x)];
  };

  std::ostringstream o;
  o << "// written by macforge (synth/sta_netlist.cpp) for OpenSTA: flat, one wire per net\n";
  o << "module " << vname(module) << " (";
  for (size_t i = 0; i < n.ports.size(); ++i) o << (i ? ", " : "") << vname(n.ports[i].name);
  o << ");\n";
  for (const FlatPort& p : n.ports) {
    // inputs the synthesized logic does not read (e.g. a scale bit a format
    // never uses) are declared under a lint waiver
    bool unread = false;
    for (int x : p.nets)
      if (p.input && x >= 0 && n.loads[size_t(x)].empty()) unread = true;
    if (unread) o << "  // verilator lint_off UNUSEDSIGNAL\n";
    o << "  " << (p.input ? "input " : "output ");
    if (p.width > 1) o << "[" << p.width - 1 << ":0] ";
    o << vname(p.name) << ";\n";
    if (unread) o << "  // verilator lint_on UNUSEDSIGNAL\n";
  }
  bool any_dangling = false;
  for (int x = 0; x < n.nets; ++x) {
    if (is_wire[size_t(x)] && !dangling[size_t(x)]) o << "  wire " << name[size_t(x)] << ";\n";
    any_dangling = any_dangling || (is_wire[size_t(x)] && dangling[size_t(x)]);
  }
  if (any_dangling) {
    o << "  // verilator lint_off UNUSEDSIGNAL\n";
    for (int x = 0; x < n.nets; ++x)
      if (is_wire[size_t(x)] && dangling[size_t(x)]) o << "  wire " << name[size_t(x)] << ";\n";
    o << "  // verilator lint_on UNUSEDSIGNAL\n";
  }
  for (size_t ci = 0; ci < n.cells.size(); ++ci) {
    const FlatCell& c = n.cells[ci];
    o << "  " << vname(c.type) << " " << sta_instance_name(n, ci) << " (";
    bool first = true;
    for (const FlatPin& p : c.pins) {
      o << (first ? "" : ", ") << "." << vname(p.pin) << "(" << net_text(p.net) << ")";
      first = false;
    }
    o << ");\n";
  }
  for (const FlatPort& p : n.ports) {
    if (p.input) continue;
    for (int k = 0; k < int(p.nets.size()); ++k) {
      int x = p.nets[size_t(k)];
      std::string me = bit_name(p, k);
      if (x < 0 || name[size_t(x)] != me) o << "  assign " << me << " = " << net_text(x) << ";\n";
    }
  }
  o << "endmodule\n";
  return o.str();
}

}  // namespace macforge::synth
