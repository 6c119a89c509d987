// The block-scale stage (synthesis report row "scale"): decodes the e8m0 /
// ue4m3 block scales of a group, multiplies the group sum by the ue4m3
// significands, and sums the exponent terms of the group value's MSB; also
// the group value's NaN / Inf / zero flags.
#pragma once

#include <ostream>

#include "gen/pe/bundle.hpp"
#include "gen/pe/geometry.hpp"

namespace macforge::gen::pe {

// Reads the group registers (g_sum) and the group bundle; returns the scaled
// bundle: valid, first/last or acc, val (g.ssw bits, signed), exp (g.ew bits),
// zero, nan, inf, isgn.
Bundle emit_scale(std::ostream& o, const Geometry& g, const Bundle& gb);

}  // namespace macforge::gen::pe
