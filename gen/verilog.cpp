#include "gen/verilog.hpp"

namespace macforge::gen {

std::string vrange(int width) { return width > 1 ? "[" + std::to_string(width - 1) + ":0] " : ""; }

std::string vslice(const std::string& bus, int lo, int width, int bus_width) {
  if (width == bus_width && lo == 0) return bus;
  if (width == 1) return bus + "[" + std::to_string(lo) + "]";
  return bus + "[" + std::to_string(lo + width - 1) + ":" + std::to_string(lo) + "]";
}

std::string velem(const std::string& bus, int k, int width, int bus_width) {
  return vslice(bus, k * width, width, bus_width);
}

std::string vconst(int width, long long value) { return std::to_string(width) + "'d" + std::to_string(value); }

int vbits(int n) {
  int b = 1;
  while ((1LL << b) < n) ++b;
  return b;
}

std::string module_header(const std::string& name, const std::vector<Port>& ports) {
  std::string s = "module " + name + " (\n";
  for (size_t k = 0; k < ports.size(); ++k) {
    const Port& p = ports[k];
    if (!p.meaning.empty()) s += "  // " + p.meaning + "\n";
    s += std::string("  ") + (p.input ? "input  wire " : "output wire ") + vrange(p.width) + p.name +
         (k + 1 < ports.size() ? ",\n" : "\n");
  }
  return s + ");\n";
}

bool ModuleSet::has(const std::string& name) const {
  for (const auto& m : mods)
    if (m.first == name) return true;
  return false;
}

void ModuleSet::add(const std::string& name, const std::string& text) {
  if (!has(name)) mods.emplace_back(name, text);
}

std::string reg_stage(ModuleSet& ms, int width, bool reset) {
  std::string name = ms.prefix + "reg" + std::to_string(width) + (reset ? "_r" : "");
  if (ms.has(name)) return name;
  std::vector<Port> ports = {{"clk", true, 1, ""}};
  if (reset) ports.push_back({"rst", true, 1, "synchronous reset, active high: q = 0"});
  ports.push_back({"d", true, width, ""});
  ports.push_back({"q", false, width, "d one cycle later"});
  std::string s = "// " + name + ": one register stage of a delay line (instantiated in chains).\n";
  s += module_header(name, ports);
  s += "  reg " + vrange(width) + "r;\n";
  if (reset)
    s += "  always @(posedge clk) begin\n    if (rst) r <= " + vconst(width, 0) + ";\n    else r <= d;\n  end\n";
  else
    s += "  always @(posedge clk) r <= d;\n";
  s += "  assign q = r;\nendmodule\n";
  ms.add(name, s);
  return name;
}

std::string reg_stage2(ModuleSet& ms, int wr, int wn) {
  if (wr == 0) return reg_stage(ms, wn, false);
  if (wn == 0) return reg_stage(ms, wr, true);
  std::string name = ms.prefix + "reg" + std::to_string(wr) + "r_" + std::to_string(wn);
  if (ms.has(name)) return name;
  std::string s = "// " + name + ": one register stage of a delay line, a control field cleared by rst and a data\n"
                  "// field without reset (instantiated in chains).\n";
  s += module_header(name, {{"clk", true, 1, ""},
                            {"rst", true, 1, "synchronous reset, active high: qr = 0"},
                            {"dr", true, wr, "control field"},
                            {"d", true, wn, "data field"},
                            {"qr", false, wr, "dr one cycle later"},
                            {"q", false, wn, "d one cycle later"}});
  s += "  reg " + vrange(wr) + "rr;\n  reg " + vrange(wn) + "r;\n";
  s += "  always @(posedge clk) begin\n    if (rst) rr <= " + vconst(wr, 0) + ";\n    else rr <= dr;\n  end\n";
  s += "  always @(posedge clk) r <= d;\n  assign qr = rr;\n  assign q = r;\nendmodule\n";
  ms.add(name, s);
  return name;
}

std::string delay_line2(ModuleSet& ms, const std::string& name, const std::string& src_r, int wr,
                        const std::string& src_n, int wn, int n, std::string& out_r, std::string& out_n) {
  if (wr == 0) return delay_line(ms, name, src_n, wn, n, false, out_n);
  if (wn == 0) return delay_line(ms, name, src_r, wr, n, true, out_r);
  if (n == 0) {
    out_r = src_r;
    out_n = src_n;
    return "";
  }
  std::string stage = reg_stage2(ms, wr, wn), s;
  auto r = [&](int k) { return name + "_r" + std::to_string(k); };
  auto q = [&](int k) { return name + "_d" + std::to_string(k); };
  for (int k = 1; k <= n; ++k) s += "  wire " + vrange(wr) + r(k) + ";\n  wire " + vrange(wn) + q(k) + ";\n";
  for (int k = 1; k <= n; ++k)
    s += "  " + stage + " u_" + name + "_" + std::to_string(k) + " (.clk(clk), .rst(rst), .dr(" +
         (k == 1 ? src_r : r(k - 1)) + "), .d(" + (k == 1 ? src_n : q(k - 1)) + "), .qr(" + r(k) + "), .q(" + q(k) +
         "));\n";
  out_r = r(n);
  out_n = q(n);
  return s;
}

std::string delay_line(ModuleSet& ms, const std::string& name, const std::string& src, int width, int n, bool reset,
                       std::string& out) {
  if (n == 0) {
    out = src;
    return "";
  }
  std::string stage = reg_stage(ms, width, reset), s;
  for (int k = 1; k <= n; ++k) s += "  wire " + vrange(width) + name + "_d" + std::to_string(k) + ";\n";
  for (int k = 1; k <= n; ++k)
    s += "  " + stage + " u_" + name + "_" + std::to_string(k) + " (.clk(clk), " + (reset ? ".rst(rst), " : "") +
         ".d(" + (k == 1 ? src : name + "_d" + std::to_string(k - 1)) + "), .q(" + name + "_d" + std::to_string(k) +
         "));\n";
  out = name + "_d" + std::to_string(n);
  return s;
}

}  // namespace macforge::gen
