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

std::string delay_line(const std::string& name, const std::string& src, int width, int n, bool reset,
                       std::string& out) {
  if (n == 0) {
    out = src;
    return "";
  }
  std::string s;
  for (int k = 1; k <= n; ++k) s += "  reg " + vrange(width) + name + "_d" + std::to_string(k) + ";\n";
  s += "  always @(posedge clk) begin\n";
  std::string indent = "    ";
  if (reset) {
    s += "    if (rst) begin\n";
    for (int k = 1; k <= n; ++k) s += "      " + name + "_d" + std::to_string(k) + " <= " + vconst(width, 0) + ";\n";
    s += "    end else begin\n";
    indent = "      ";
  }
  for (int k = 1; k <= n; ++k)
    s += indent + name + "_d" + std::to_string(k) + " <= " + (k == 1 ? src : name + "_d" + std::to_string(k - 1)) +
         ";\n";
  if (reset) s += "    end\n";
  s += "  end\n";
  out = name + "_d" + std::to_string(n);
  return s;
}

}  // namespace macforge::gen
