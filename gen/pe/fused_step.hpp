// PEs for the fused multi-term accumulation mode (AccumMode::Fused,
// numerics/fused_accum.hpp; docs/pe.md "Fused multi-term PEs"): one fused
// tensor-core step of G = lanes products per cycle, the reduced-precision
// accumulator register and the optional float32 promotion accumulator. The
// emitted top keeps the port contract of gen/pe_spec.hpp.
#pragma once

#include <string>
#include <vector>

#include "gen/pe_emit.hpp"
#include "gen/pe_spec.hpp"

namespace macforge::gen::pe {

inline bool is_fused(const PeSpec& s) { return s.accum.mode == AccumMode::Fused; }

// "" when the generator has a fused PE datapath for these formats, lanes,
// accumulator source and fused parameters; else one line saying what is not
// supported and what is.
std::string fused_unsupported(const BlockFormat& a, const BlockFormat& b, int lanes, const AccumSpec& acc,
                              AccSource src);

// Validates (FormatError) and describes / emits the fused PE.
PeInfo fused_pe_info(const PeSpec& spec);
PeWidths fused_pe_widths(const PeSpec& spec);
// Files <name>_round_acc.v (rounding to the accumulator format),
// <name>_round_f32.v (promotion adder, p > 0), <name>.v (top).
std::vector<PeFile> fused_pe_files(const PeSpec& spec);

}  // namespace macforge::gen::pe
