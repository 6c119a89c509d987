// The shared lane multipliers of a multi-format PE (synthesis report row
// "multipliers"; docs/pe.md "Multi-format PEs"): how an 8-bit lane also does
// the 4-bit (or 6-bit) mode's work under each pe.reuse scheme.
#pragma once

#include <ostream>
#include <string>

#include "gen/pe/bundle.hpp"
#include "gen/pe/geometry.hpp"

namespace macforge::gen::pe {

// IntScheme1 / FpShared: the Verilog expression of a narrow element code
// `code` placed in the wide format's fields, so the wide lane computes the
// narrow product exactly, 2^placement_shift(wide, narrow) times larger:
//   INT:  {code, 0...0}                  (int4 -> XXXX_0000, the paper's Table 7)
//   FP:   {s, 0..0, e, m, 0..0}          (E2M1 -> S_00EE_M00 in E4M3)
// The exponent field keeps its value (the offset exponent max(e,1)-1 is the
// same), the significand gains (M_wide - M_narrow) zero bits below.
std::string place_narrow(const Operand& wide, const Operand& narrow, const std::string& code);
int placement_shift(const Operand& wide, const Operand& narrow);

// Whether a narrow operand can be placed in a wide one (same kind; FP: no
// wider exponent or mantissa field, and no NaN/Inf codes in the narrow format).
bool placeable(const Operand& wide, const Operand& narrow);

// IntScheme2, in the body of front half <P>_h0: every int8 lane i is two
// partial multipliers, lo = a x b[3:0] (b's low nibble, unsigned in mode 0)
// and hi = a x b[7:4] (signed), whose sums over the lanes form two compressor
// trees; mode 0: sum = lo + (hi << 4) = sum of a x b; mode 1: each partial
// multiplier takes one int4 pair from the same byte (lane 2i in the low
// nibbles, lane 2i+1 in the high ones), sum = lo + hi. Consumes the chunk's a,
// b and adds `sum` (mode 0, m0.csw bits) and `sum1` (mode 1, m1.csw bits).
// `mul_cut` registers the two tree sums (the pipeline cut after the lane
// multipliers).
void emit_split_int_lanes(std::ostream& o, const Geometry& m0, const Geometry& m1, Bundle& c, bool mul_cut);

}  // namespace macforge::gen::pe
