// The netlist handed to OpenSTA (docs/timing.md): flat structural Verilog
// written from a FlatNetlist. Debian's OpenSTA (2019 build) rejects the
// concatenations `{...}` Yosys writes in port connections, so this writes
// one scalar wire per net, bit-selects of the top ports, constants as
// 1'b0 / 1'b1 and `assign` only for output port bits that are another
// port's bit or a constant. Instance names carry the cell's part:
// `<part>__<cell index>` (part "top" for cells outside any part), so a
// timing path's instances map back to parts and FlatNetlist cells.
#pragma once

#include <string>

#include "synth/netlist.hpp"

namespace macforge::synth {

// The whole netlist as one module named `module` with the ports of n (in
// order, multi-bit ports as [W-1:0] vectors). Every cell must be a library
// cell: black-box macros (flatten's `macros`) throw NetlistError -- flatten
// the design with the macro's module inlined instead.
std::string sta_netlist_verilog(const FlatNetlist& n, const std::string& module);

// The instance name sta_netlist_verilog gives cell `index` of n.
std::string sta_instance_name(const FlatNetlist& n, size_t index);

// The cell index encoded in an instance name of sta_netlist_verilog (the
// part before any '/pin' is ignored), or -1 if the name has no such index.
int sta_instance_cell(const std::string& instance_or_pin);

}  // namespace macforge::synth
