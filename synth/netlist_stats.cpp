#include "synth/netlist_stats.hpp"

namespace macforge::synth {

NetlistStats netlist_stats(const FlatNetlist& n) {
  NetlistStats s;
  s.nets = n.nets;
  for (const FlatCell& c : n.cells) {
    double a = c.lib ? c.lib->area : 0;
    s.area_um2 += a;
    s.area_by_part[c.part] += a;
    s.cells_by_type[c.type] += 1;
    s.cells_by_part[c.part] += 1;
    s.cells += 1;
    if (c.seq) {
      s.flops += 1;
      s.seq_area_um2 += a;
    }
  }
  s.logic_depth = logic_depth(n);
  return s;
}

}  // namespace macforge::synth
