// Normalization of the exact group value (synthesis report row "align_norm",
// with the alignment): magnitude, leading-zero count (mf_lzc), left shift, and
// the exponent minus the shift.
#pragma once

#include <ostream>

#include "gen/pe/bundle.hpp"
#include "gen/pe/geometry.hpp"

namespace macforge::gen::pe {

// Replaces the scaled bundle's val and exp by sgn, sig (g.mw bits, MSB set
// unless zero) and exp (the biased float32 exponent of sig's MSB).
void emit_normalization(std::ostream& o, const Geometry& g, Bundle& s);

}  // namespace macforge::gen::pe
