// Small helpers for writing unrolled Verilog-2005 text: port lists, ranges,
// slices of flat buses and register delay lines. Used by the array emitter.
#pragma once

#include <string>
#include <utility>
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

// The small modules an emitter instantiates many times (register stages,
// PE positions of the grid), each emitted once: synthesis then maps each kind
// once, however large the array (docs/synthesis.md). Names start with
// `prefix`; `mods` keeps (name, text) in the order they were first needed.
struct ModuleSet {
  std::string prefix;
  std::vector<std::pair<std::string, std::string>> mods;
  bool has(const std::string& name) const;
  void add(const std::string& name, const std::string& text);
};

// The module of one register stage of `width` bits (cleared by rst when
// `reset`): ports clk, [rst,] d, q. Returns its name, adding it to `ms`.
std::string reg_stage(ModuleSet& ms, int width, bool reset);

// The module of one register stage with two fields: `wr` bits cleared by rst
// (ports dr, qr) and `wn` plain bits (ports d, q); either width may be 0.
std::string reg_stage2(ModuleSet& ms, int wr, int wn);

// Delay line of two fields (a control field cleared by rst, a data field
// without reset) through one chain of reg_stage2 instances: `out_r`/`out_n`
// receive the delayed fields (the sources themselves for n == 0).
std::string delay_line2(ModuleSet& ms, const std::string& name, const std::string& src_r, int wr,
                        const std::string& src_n, int wn, int n, std::string& out_r, std::string& out_n);

// Delay line: a chain of N reg_stage instances U_NAME_1..U_NAME_N with outputs
// NAME_d1..NAME_dN, fed by `src`. Returns the Verilog text; `out` receives the
// expression of the delayed value (src itself for n == 0).
std::string delay_line(ModuleSet& ms, const std::string& name, const std::string& src, int width, int n, bool reset,
                       std::string& out);

}  // namespace macforge::gen
