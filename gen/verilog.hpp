// Small helpers for writing unrolled Verilog-2005 text: port lists, ranges,
// slices of flat buses and register delay lines. Used by the array emitter.
#pragma once

#include <string>
#include <vector>

namespace macforge::gen {

struct Port {
  std::string name;
  bool input = true;
  int width = 1;
  std::string meaning;  // one line for the module header and the manifest
};

// "[w-1:0] " or "" for one bit.
std::string vrange(int width);
// Bits [lo + w - 1 : lo] of bus, or the bus itself for a 1-bit bus.
std::string vslice(const std::string& bus, int lo, int width, int bus_width);
// Element k of a flat bus of elements of `width` bits.
std::string velem(const std::string& bus, int k, int width, int bus_width);
// A sized decimal constant, e.g. 3'd5.
std::string vconst(int width, long long value);
// Bits needed to index n values (at least 1).
int vbits(int n);

// "module NAME (\n  input wire ...\n);" with each port's meaning as a comment.
std::string module_header(const std::string& name, const std::vector<Port>& ports);

// Delay line: registers NAME_d1..NAME_dN clocked by clk, fed by `src`.
// Returns the Verilog text; `out` receives the expression of the delayed value
// (src itself for n == 0). With reset, the registers clear on rst.
std::string delay_line(const std::string& name, const std::string& src, int width, int n, bool reset,
                       std::string& out);

}  // namespace macforge::gen
