// Alignment of the lane products (synthesis report row "align_norm", with the
// normalization): exact-block shifts each product by its offset exponent into
// one fixed point; aligned:W finds the chunk's largest exponent and shifts
// each product right from it with floor; INT x INT needs nothing.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "gen/pe/bundle.hpp"
#include "gen/pe/geometry.hpp"

namespace macforge::gen::pe {

// The aligned lane values: the adder tree's leaves, all `width` bits, signed.
struct Leaves {
  std::vector<std::string> names;
  int width = 0;
};

// Consumes the lane buses lp, le, lnz of the chunk bundle; adds emax (the
// chunk's exponent, aligned:W only).
Leaves emit_alignment(std::ostream& o, const Geometry& g, Bundle& c);

// The register stage 'al' at the alignment cut: the leaves travel as one bus
// with the rest of the chunk bundle; returns the registered leaves.
Leaves register_leaves(std::ostream& o, const Geometry& g, Bundle& c, const Leaves& in);

}  // namespace macforge::gen::pe
