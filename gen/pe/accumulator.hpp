// The accumulators (synthesis report row "accumulator"): the exact group
// accumulator, which sums the chunk sums of one accumulation group, and the
// float32 accumulate, which rounds each group value into the float32
// accumulator once (module <name>_fadd, its instance and the output register).
#pragma once

#include <ostream>

#include "gen/pe/bundle.hpp"
#include "gen/pe/geometry.hpp"

namespace macforge::gen::pe {

// The group registers g_*: consumes the chunk bundle (sum, flags, scale codes,
// emax, in_acc); returns the group bundle (valid, the OR-ed flags nan, pinf,
// ninf, first, and the captured last, as, bs, acc, emax).
Bundle emit_group_accumulator(std::ostream& o, const Geometry& g, const Bundle& c);

// The module <name>_fadd: sum = RNE32(acc + v), v exact and normalized.
void emit_fadd_module(std::ostream& o, const Geometry& g);

// In the PE top: the <name>_fadd instance on the normalized group value (bundle
// keys sgn, sig, exp, zero, nan, inf, isgn, and first/last or acc), the
// float32 accumulator register and the PE outputs.
void emit_float_accumulate(std::ostream& o, const Geometry& g, const Bundle& n);

}  // namespace macforge::gen::pe
