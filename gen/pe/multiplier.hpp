// The lane multipliers (synthesis report row "multipliers"): the module
// <name>_mul (one lane: decode both elements, significand product, offset
// exponent, NaN/Inf flags) and its LANES instances in the PE top.
//
// The product itself is one function, emit_product(): Yosys' `*` or, per
// pe.multiplier, radix-4 Booth / AND-array partial products with a Dadda tree
// (booth_multiplier.hpp); decoding, exponents and flags stay the same.
#pragma once

#include <ostream>
#include <string>

#include "gen/pe/bundle.hpp"
#include "gen/pe/geometry.hpp"

namespace macforge::gen::pe {

// The decoded fields of one element, as wire names / expressions of <name>_mul.
struct Decode {
  std::string sgn;   // sign bit expression (INT: the two's complement sign)
  std::string sig;   // FP: unsigned significand wire
  std::string x;     // FP: offset exponent wire ("" when none)
  std::string nz;    // nonzero expression
};

// Decodes element wire `v` of operand `op` (wires v_*); need_zero adds v_zero.
Decode emit_decode(std::ostream& o, const Operand& op, const std::string& v, bool need_zero);

// The signed significand product of one lane as wire `prod`, g.psw bits:
// INT x INT a signed multiply; FP x FP an unsigned multiply of the
// significands, then the sign; INT x FP signed x unsigned, then the FP sign.
// The element ports are `a` and `b`; da / db are their decodes.
void emit_product(std::ostream& o, const Geometry& g, const Decode& da, const Decode& db, const std::string& prod);

// The module <name>_mul (one lane).
void emit_mul_module(std::ostream& o, const Geometry& g);

// In the PE top: the lane instances. Consumes the chunk's element buses (keys
// a, b) and adds the lane buses lp, le (product exponents), lnz (nonzero, for
// aligned:W) and the chunk flags nan, pinf, ninf.
void emit_lanes(std::ostream& o, const Geometry& g, Bundle& c);

// INT x INT with a generated multiplier (pe.multiplier booth4 or array) and
// nothing between products and sum (no Mul or Align cut, no statically
// truncated products): the lanes and the adder tree are one multi-operand sum.
bool fused_lanes(const Geometry& g);

// For fused_lanes(g), in place of emit_lanes, the alignment and the adder
// tree: every lane's partial products (at the aligned:W static shift) in ONE
// compressor tree, giving c_sum; consumes the element buses a, b and adds
// `sum` to the chunk bundle. The synthesis report counts it as "multipliers"
// (synth/flow.cpp fused_mul_tree).
void emit_fused_lanes(std::ostream& o, const Geometry& g, Bundle& c);

}  // namespace macforge::gen::pe
