// Verilog simulation models generated from a Liberty file, for the cells a
// gate-level netlist uses: combinational outputs from their `function`,
// flip-flops from `ff` groups (clocked_on / next_state / clear / preset /
// clear_preset_var*), latches from `latch` groups. Real PDK Liberty files ship
// no Verilog here, so the energy simulation of a netlist mapped to them uses
// these (docs/energy.md). The built-in library has hand-written models
// (synth/lib/macforge45_cells.v); both are Verilog-2005.
#pragma once

#include <set>
#include <string>

#include "synth/liberty.hpp"

namespace macforge::synth {

// Models of the named cells (each must exist in lib). Throws LibertyError
// naming the cell when it has an output without a function, a statetable
// (clock gates), or an expression that does not parse.
std::string cell_models_verilog(const Library& lib, const std::set<std::string>& cells);

}  // namespace macforge::synth
