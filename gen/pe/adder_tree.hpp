// The adder tree over the lanes (synthesis report row "adder_tree"): a
// balanced tree of two-input adders, each node exactly as wide as the bound of
// the leaves below it.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "gen/pe/alignment.hpp"
#include "gen/pe/bundle.hpp"
#include "gen/pe/geometry.hpp"

namespace macforge::gen::pe {

// Adder tree over the named signed leaves (leaf_w bits, |leaf| <= leaf_max):
// wires t<level>_<k>; returns the root wire, its width in out_w.
std::string emit_tree(std::ostream& o, std::vector<std::string> names, const BigInt& leaf_max, int leaf_w, int& out_w);

// The chunk sum c_sum (g.csw bits) of the aligned lane values; adds it to the
// chunk bundle as `sum`.
void emit_chunk_sum(std::ostream& o, const Geometry& g, Bundle& c, const Leaves& leaves);

}  // namespace macforge::gen::pe
