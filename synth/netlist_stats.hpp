// Area and structure of a flattened gate-level netlist: total area and area
// per part (the sum of the Liberty areas of the cells), cell counts by type,
// flip-flop count and logic depth (the longest chain of combinational cells
// between startpoints and endpoints, netlist.hpp).
#pragma once

#include <map>
#include <string>

#include "synth/netlist.hpp"

namespace macforge::synth {

struct NetlistStats {
  double area_um2 = 0;
  std::map<std::string, double> area_by_part;  // part -> um^2 (parts with cells only)
  std::map<std::string, int> cells_by_type;
  std::map<std::string, int> cells_by_part;
  int cells = 0;
  int flops = 0;        // flip-flops and latches
  double seq_area_um2 = 0;  // area of the flip-flops and latches (area_scope: combinational leaves it out)
  int logic_depth = 0;
  int nets = 0;
};

NetlistStats netlist_stats(const FlatNetlist& n);

}  // namespace macforge::synth
