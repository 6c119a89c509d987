// The gate-level netlists Yosys writes (`write_verilog -noattr`): a reader for
// that structural Verilog subset (modules, wire/input/output declarations,
// instances with named connections, `assign` of bits, concatenations and
// constants), and a flattened bit-level view for statistics and simulation:
// every net one bit, every cell a library cell with its pin -> net map.
#pragma once

#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "synth/liberty.hpp"

namespace macforge::synth {

struct NetlistError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// ---- hierarchical, as written --------------------------------------------------

// One bit of a connection: a wire bit, or a constant.
struct NlBit {
  int wire = -1;  // index into NlModule::wires, -1 for a constant
  int bit = 0;    // offset from the wire's lsb
  char cval = '0';  // constant value '0', '1', 'x', 'z' (wire < 0)
};

struct NlWire {
  std::string name;
  int width = 1;
  int lsb = 0;          // declared [msb:lsb]; Yosys always writes msb >= lsb
  bool input = false, output = false;
};

struct NlInst {
  std::string type, name;
  int line = 0;
  std::vector<std::pair<std::string, std::vector<NlBit>>> conns;  // port -> bits, lsb first
};

struct NlModule {
  std::string name;
  std::vector<std::string> ports;  // in header order
  std::vector<NlWire> wires;
  std::map<std::string, int> wire_index;
  std::vector<NlInst> insts;
  std::vector<std::pair<std::vector<NlBit>, std::vector<NlBit>>> assigns;  // lhs, rhs (lsb first)
  bool blackbox = false;  // an empty module body (Yosys writes black boxes so)
};

struct NlDesign {
  std::vector<NlModule> modules;
  const NlModule* module(const std::string& name) const;
};

// Parses the text Yosys `write_verilog -noattr` produces. Throws NetlistError
// "FILE:LINE: problem".
NlDesign parse_netlist(const std::string& text, const std::string& source);
NlDesign read_netlist(const std::string& path);

// ---- flat, bit level -------------------------------------------------------------

struct FlatPin {
  std::string pin;
  int net = -1;
  bool output = false;
};

struct FlatCell {
  std::string type;      // library cell name
  std::string path;      // hierarchical instance path ("part.inst" ...)
  std::string part;      // which part of the design (see flatten's classifier)
  const LibCell* lib = nullptr;
  bool seq = false;      // flip-flop / latch
  std::vector<FlatPin> pins;
};

struct FlatPort {
  std::string name;
  bool input = false;
  int width = 1;
  std::vector<int> nets;  // lsb first; -1 for constant 0, -2 for constant 1
};

struct FlatNetlist {
  std::string top;
  int nets = 0;                      // net ids 0..nets-1 (constants are not nets)
  std::vector<FlatCell> cells;
  std::vector<FlatPort> ports;
  // per net: driver (cell index and pin, or -1 for a primary input / undriven)
  std::vector<int> driver_cell;
  std::vector<std::string> driver_pin;
  std::vector<bool> is_input;
  std::vector<std::vector<std::pair<int, std::string>>> loads;  // (cell, pin) inputs on the net
  std::vector<int> const_loads;      // count of cell input pins tied to constants (unused nets)
};

// Flattens `top` down to library cells. Instances of other modules of the
// design are expanded; `part_of(path_of_first_level_instance, cell)` names the
// part of every cell (the first component of its instance path, "" at the top
// level). Cells must be in lib, unless allow_unknown (then lib is null).
// Throws NetlistError on an unknown cell or module, a port connection of the
// wrong width, or a net with two drivers.
//
// `macros`: modules kept as black boxes (e.g. the synthesized PE inside the
// array). Their instances become FlatCells with lib == nullptr, seq = true
// (their pins are start- and endpoints), part "pe_array" and one pin per port
// bit ("port[i]"), directions from the module's declarations.
FlatNetlist flatten(const NlDesign& d, const std::string& top, const Library& lib,
                    const std::function<std::string(const std::string& first_instance)>& part_of,
                    const std::vector<const NlModule*>& macros = {});

// Longest chain of combinational cells between startpoints (primary inputs,
// flip-flop outputs, constants) and endpoints (primary outputs, flip-flop
// inputs). Throws NetlistError on a combinational loop.
int logic_depth(const FlatNetlist& n);

}  // namespace macforge::synth
